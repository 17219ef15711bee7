import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { FieldSelectionSchema } from "../gen/learnerstate/v1/user_state_pb.js";
import { collect } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";
import { bearer, mintToken, ownStateClaims, scopes, testAudience, testIssuer, testSecret } from "./support/tokens.js";

const fixture = useServer({ env: { JWT_SECRET: testSecret, JWT_ISSUER: testIssuer, JWT_AUDIENCE: testAudience } });
const [alice, bob] = [unique("alice"), unique("bob")];
const course = `course-v1:${unique("Org")}+Iso+2026`;
const bobsKeys = [blockKey(course, "problem", "p1"), blockKey(course, "video", "v1")];
let asAlice: { headers?: Record<string, string> };

/** A digest of everything stored for `username`, state and history. */
async function digestOf(username: string): Promise<string> {
  const result = await fixture.db.query(
    `select md5(coalesce((select string_agg(s::text, '|' order by id) from user_state s where username = $1), '') ||
                coalesce((select string_agg(h::text, '|' order by id) from user_state_history h where username = $1), '')) as digest`,
    [username],
  );
  return result.rows[0].digest as string;
}

beforeAll(async () => {
  const asBob = bearer(await mintToken(ownStateClaims(bob)));
  asAlice = bearer(await mintToken(ownStateClaims(alice)));
  await fixture.client.setMany({ username: bob, updates: bobsKeys.map((key) => ({ blockKey: key, fields: { secret: '"bob-only"' } })) }, asBob);
});

describe("a read+write token for learner A", () => {
  it("can never read, write, delete or see the history of learner B's state through any RPC", async () => {
    const before = await digestOf(bob);
    const attempts: Record<string, () => Promise<unknown>> = {
      GetMany: () => collect(fixture.client.getMany({ username: bob, blockKeys: bobsKeys }, asAlice)),
      GetManyNoFields: () => collect(fixture.client.getMany({ username: bob, blockKeys: bobsKeys, fieldSelection: create(FieldSelectionSchema, {}) }, asAlice)),
      GetModDates: () => collect(fixture.client.getModDates({ username: bob, blockKeys: bobsKeys }, asAlice)),
      GetHistory: () => collect(fixture.client.getHistory({ username: bob, blockKey: bobsKeys[0]! }, asAlice)),
      SetMany: () => fixture.client.setMany({ username: bob, updates: [{ blockKey: bobsKeys[0]!, fields: { secret: '"alice"' } }] }, asAlice),
      SetManyNewBlock: () => fixture.client.setMany({ username: bob, updates: [{ blockKey: blockKey(course, "html", "new"), fields: { x: "1" } }] }, asAlice),
      DeleteMany: () => fixture.client.deleteMany({ username: bob, blockKeys: bobsKeys }, asAlice),
      DeleteManyFields: () => fixture.client.deleteMany({ username: bob, blockKeys: bobsKeys, fieldSelection: create(FieldSelectionSchema, { fieldNames: ["secret"] }) }, asAlice),
      IterAllForBlock: () => collect(fixture.client.iterAllForBlock({ blockKey: bobsKeys[0]! }, asAlice)),
      IterAllForCourse: () => collect(fixture.client.iterAllForCourse({ courseKey: course }, asAlice)),
      // Bad keys do not open a way around the policy either.
      GetManyBadKey: () => collect(fixture.client.getMany({ username: bob, blockKeys: ["not-a-key"] }, asAlice)),
    };
    const outcomes: Record<string, string> = {};
    for (const [name, attempt] of Object.entries(attempts)) {
      outcomes[name] = await attempt().then(
        () => "OK",
        (error: unknown) => Code[ConnectError.from(error).code],
      );
    }
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(attempts).map((name) => [name, "PermissionDenied"])));
    expect(await digestOf(bob)).toBe(before);
  });

  it("still reads and writes A's own state, and never sees B's in it", async () => {
    await fixture.client.setMany({ username: alice, updates: [{ blockKey: bobsKeys[0]!, fields: { mine: "1" } }] }, asAlice);
    const states = (await collect(fixture.client.getMany({ username: alice, blockKeys: bobsKeys }, asAlice))).flatMap((message) => message.blockStates);
    expect(states.map((state) => [state.username, state.fields])).toEqual([[alice, { mine: "1" }]]);
  });
});

/** Every RPC a token might use on `username`'s own state in `keys`, by name. */
function ownStateCalls(username: string, keys: string[], options: { headers?: Record<string, string> }): Record<string, () => Promise<unknown>> {
  return {
    GetMany: () => collect(fixture.client.getMany({ username, blockKeys: keys }, options)),
    GetModDates: () => collect(fixture.client.getModDates({ username, blockKeys: keys }, options)),
    GetHistory: () => collect(fixture.client.getHistory({ username, blockKey: keys[0]! }, options)),
    SetMany: () => fixture.client.setMany({ username, updates: [{ blockKey: keys[0]!, fields: { score: "100", attempts: "0" } }] }, options),
    DeleteMany: () => fixture.client.deleteMany({ username, blockKeys: keys }, options),
    DeleteManyFields: () => fixture.client.deleteMany({ username, blockKeys: keys, fieldSelection: create(FieldSelectionSchema, { fieldNames: ["attempts"] }) }, options),
    IterAllForBlock: () => collect(fixture.client.iterAllForBlock({ blockKey: keys[0]! }, options)),
    IterAllForCourse: () => collect(fixture.client.iterAllForCourse({ courseKey: course }, options)),
  };
}

async function outcomesOf(attempts: Record<string, () => Promise<unknown>>): Promise<Record<string, string>> {
  const outcomes: Record<string, string> = {};
  for (const [name, attempt] of Object.entries(attempts)) {
    outcomes[name] = await attempt().then(
      () => "OK",
      (error: unknown) => Code[ConnectError.from(error).code],
    );
  }
  return outcomes;
}

describe("a learner's own tokens", () => {
  const carol = unique("carol");
  const carolsKeys = [blockKey(course, "problem", "graded"), blockKey(course, "problem", "other")];

  beforeAll(async () => {
    const lms = bearer(await mintToken({ preferred_username: unique("lms"), administrator: true }));
    await fixture.client.setMany({ username: carol, updates: carolsKeys.map((key) => ({ blockKey: key, fields: { score: "1", attempts: "3" } })) }, lms);
  });

  it("the browser's JWT can neither read, write nor delete the learner's own state through any RPC", async () => {
    const browser = bearer(await mintToken({ sub: "3", preferred_username: carol, scopes: ["read", "write", "email", "profile"], filters: ["user:me"] }));
    const before = await digestOf(carol);
    const outcomes = await outcomesOf(ownStateCalls(carol, carolsKeys, browser));
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(outcomes).map((name) => [name, "PermissionDenied"])));
    expect(await digestOf(carol)).toBe(before);
  });

  it("a read-only app token reads the learner's own state and can neither write nor delete it", async () => {
    const readOnly = bearer(await mintToken({ sub: "3", preferred_username: carol, scopes: [scopes.read], filters: ["user:me"] }));
    const before = await digestOf(carol);
    const outcomes = await outcomesOf(ownStateCalls(carol, carolsKeys, readOnly));
    expect(outcomes).toEqual({
      GetMany: "OK",
      GetModDates: "OK",
      GetHistory: "OK",
      SetMany: "PermissionDenied",
      DeleteMany: "PermissionDenied",
      DeleteManyFields: "PermissionDenied",
      IterAllForBlock: "PermissionDenied",
      IterAllForCourse: "PermissionDenied",
    });
    expect(await digestOf(carol)).toBe(before);
  });
});

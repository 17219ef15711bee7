import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { FieldSelectionSchema } from "../gen/learnerstate/v1/user_state_pb.js";
import { collect } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";
import { bearer, mintToken, testAudience, testIssuer, testSecret } from "./support/tokens.js";

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
  const asBob = bearer(await mintToken({ preferred_username: bob }));
  asAlice = bearer(await mintToken({ preferred_username: alice, filters: ["user:me"] }));
  await fixture.client.setMany({ username: bob, updates: bobsKeys.map((key) => ({ blockKey: key, fields: { secret: '"bob-only"' } })) }, asBob);
});

describe("a token for learner A", () => {
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

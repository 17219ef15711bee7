import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Scope } from "../gen/learnerstate/v1/scope_pb.js";
import { FieldSelectionSchema, StateChangedDetailSchema, StateForm } from "../gen/learnerstate/v1/user_state_pb.js";
import { userStateClient, collect } from "./support/clients.js";
import { blockKey, errorInfoOf, unique, useServer } from "./support/fixture.js";

const fixture = useServer();

const course = () => `course-v1:${unique("Org")}+Etag+2026`;

/** The etag GetMany answers for one block, or undefined when it has no state. */
async function etagOf(username: string, key: string, scope = Scope.USER_STATE): Promise<string | undefined> {
  const [response] = await collect(fixture.client.getMany({ username, blockKeys: [key], scope }));
  return response?.blockStates[0]?.etag;
}

async function stateOf(username: string, key: string): Promise<Record<string, string> | undefined> {
  const [response] = await collect(fixture.client.getMany({ username, blockKeys: [key] }));
  return response?.blockStates[0]?.fields;
}

/** The error `call` fails with. */
async function failure(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

const historyCount = async (username: string, key: string) =>
  Number((await fixture.db.query<{ count: string }>("select count(*) from user_state_history where username = $1 and usage_key = $2", [username, key])).rows[0]!.count);

describe("etags", () => {
  it("are the same in SetMany's answer, GetMany and IterAllForCourse (both forms), and change with every write, a write of the same values and a re-creation included", async () => {
    const courseKey = course();
    const username = unique("learner");
    const key = blockKey(courseKey, "problem", "p1");
    const [written] = (await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { a: "1" } }] })).results;
    expect(written!.etag).toMatch(/^[A-Za-z0-9_-]{22}$/u);
    expect(await etagOf(username, key)).toBe(written!.etag);
    for (const stateForm of [StateForm.FIELDS, StateForm.JSON_OBJECT]) {
      const pages = await collect(fixture.client.iterAllForCourse({ courseKey, stateForm }));
      expect(pages.flatMap((page) => page.blockStates).map((state) => state.etag)).toEqual([written!.etag]);
    }
    const json = await collect(userStateClient(fixture.server.baseUrl, "connect", { encoding: "json" }).getMany({ username, blockKeys: [key] }));
    expect(json[0]!.blockStates[0]!.etag).toBe(written!.etag);

    const seen = new Set([written!.etag]);
    const [again] = (await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { a: "1" } }] })).results;
    seen.add(again!.etag);
    await fixture.client.deleteMany({ username, blockKeys: [key], fieldSelection: create(FieldSelectionSchema, { fieldNames: ["zz"] }) });
    expect(await etagOf(username, key)).toBe(again!.etag); // deleting a field it does not have changes nothing
    await fixture.client.deleteMany({ username, blockKeys: [key] });
    expect(await etagOf(username, key)).toBeUndefined();
    const [recreated] = (await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { a: "1" } }] })).results;
    seen.add(recreated!.etag);
    expect(seen.size).toBe(3);
  });

  it("refuse a SetMany whose etag is stale with ABORTED STATE_CHANGED, the current etags in the details, and write nothing of the call", async () => {
    const username = unique("learner");
    const courseKey = course();
    const [first, second] = [blockKey(courseKey, "problem", "p1"), blockKey(courseKey, "problem", "p2")];
    const results = (await fixture.client.setMany({ username, updates: [{ blockKey: first, fields: { n: "0" } }, { blockKey: second, fields: { n: "0" } }] })).results;
    const stale = results[0]!.etag;
    const [moved] = (await fixture.client.setMany({ username, updates: [{ blockKey: first, fields: { n: "1" } }] })).results;
    const before = await historyCount(username, second);

    const error = await failure(
      fixture.client.setMany({
        username,
        updates: [
          { blockKey: second, fields: { n: "9" }, precondition: { etag: results[1]!.etag } },
          { blockKey: first, fields: { n: "9" }, precondition: { etag: stale } },
        ],
      }),
    );
    expect(error.code).toBe(Code.Aborted);
    expect(errorInfoOf(error).reason).toBe("STATE_CHANGED");
    expect(error.findDetails(StateChangedDetailSchema)[0]!.currentEtags.map(({ blockKey: changed, etag }) => ({ changed, etag }))).toEqual([
      { changed: first, etag: moved!.etag },
    ]);
    expect(await stateOf(username, second)).toEqual({ n: "0" });
    expect(await historyCount(username, second)).toBe(before);

    const [applied] = (await fixture.client.setMany({ username, updates: [{ blockKey: first, fields: { n: "2" } }] })).results;
    expect(applied!.etag).not.toBe(moved!.etag);
  });

  it("hold a state absent: a create with `absent` succeeds once, and of concurrent creators exactly one wins", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "p1");
    const creators = await Promise.allSettled(
      Array.from({ length: 6 }, (_, index) => fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { winner: String(index) }, precondition: { absent: true } }] })),
    );
    const won = creators.flatMap((outcome, index) => (outcome.status === "fulfilled" ? [index] : []));
    expect(won).toHaveLength(1);
    for (const outcome of creators) {
      if (outcome.status === "rejected") {
        expect((outcome.reason as ConnectError).code).toBe(Code.Aborted);
        expect((outcome.reason as ConnectError).findDetails(StateChangedDetailSchema)[0]!.currentEtags[0]!.etag).not.toBe("");
      }
    }
    expect(await stateOf(username, key)).toEqual({ winner: String(won[0]) });
    expect(await historyCount(username, key)).toBe(1);
  });

  it("condition DeleteMany the same way, and refuse a precondition that is malformed or names a key the call does not delete", async () => {
    const username = unique("learner");
    const courseKey = course();
    const key = blockKey(courseKey, "problem", "p1");
    const absentKey = blockKey(courseKey, "problem", "never");
    const [written] = (await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { a: "1", b: "2" } }] })).results;
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { a: "3" } }] });

    const stale = await failure(fixture.client.deleteMany({ username, blockKeys: [key], preconditions: { [key]: { etag: written!.etag } } }));
    expect(stale.code).toBe(Code.Aborted);
    expect(await stateOf(username, key)).toEqual({ a: "3", b: "2" });

    const current = (await etagOf(username, key))!;
    await fixture.client.deleteMany({
      username,
      blockKeys: [key, absentKey],
      fieldSelection: create(FieldSelectionSchema, { fieldNames: ["a"] }),
      preconditions: { [key]: { etag: current }, [absentKey]: { absent: true } },
    });
    expect(await stateOf(username, key)).toEqual({ b: "2" });
    expect(await stateOf(username, absentKey)).toBeUndefined();
    expect(await historyCount(username, absentKey)).toBe(0);
    await fixture.client.deleteMany({ username, blockKeys: [key], preconditions: { [key]: { etag: (await etagOf(username, key))! } } });
    expect(await stateOf(username, key)).toBeUndefined();

    for (const [preconditions, field] of [
      [{ [absentKey]: { etag: "x", absent: true } }, `preconditions[${JSON.stringify(absentKey)}]`],
      [{ [absentKey]: {} }, `preconditions[${JSON.stringify(absentKey)}]`],
      [{ [blockKey(courseKey, "problem", "other")]: { absent: true } }, `preconditions[${JSON.stringify(blockKey(courseKey, "problem", "other"))}]`],
    ] as const) {
      const error = await failure(fixture.client.deleteMany({ username, blockKeys: [absentKey], preconditions }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(errorInfoOf(error)).toMatchObject({ reason: "INVALID_PRECONDITION", metadata: { field } });
    }
    // An empty field selection deletes nothing, and still judges its preconditions.
    const nothing = await failure(
      fixture.client.deleteMany({ username, blockKeys: [absentKey], fieldSelection: create(FieldSelectionSchema, { fieldNames: [] }), preconditions: { [absentKey]: { etag: "stale" } } }),
    );
    expect(errorInfoOf(nothing).reason).toBe("STATE_CHANGED");
    const both = await failure(fixture.client.setMany({ username, updates: [{ blockKey: key, fields: {}, precondition: { etag: "x", absent: true } }] }));
    expect(errorInfoOf(both)).toMatchObject({ reason: "INVALID_PRECONDITION", metadata: { field: "updates[0].precondition" } });
  });

  it("compare the state a shared scope's keys reach: two keys of one block type in preferences share one etag", async () => {
    const username = unique("learner");
    const [one, two] = [blockKey(course(), "video", "v1"), blockKey(course(), "video", "v2")];
    const [written] = (await fixture.client.setMany({ username, scope: Scope.PREFERENCES, updates: [{ blockKey: one, fields: { speed: "1.5" } }] })).results;
    expect(await etagOf(username, two, Scope.PREFERENCES)).toBe(written!.etag);
    await fixture.client.setMany({ username, scope: Scope.PREFERENCES, updates: [{ blockKey: two, fields: { speed: "2" }, precondition: { etag: written!.etag } }] });
    const error = await failure(fixture.client.setMany({ username, scope: Scope.PREFERENCES, updates: [{ blockKey: one, fields: { speed: "1" }, precondition: { etag: written!.etag } }] }));
    expect(error.code).toBe(Code.Aborted);
  });
});

describe("read-modify-write races", () => {
  /**
   * Two loops, each adding 1 to a counter `rounds` times; returns the
   * counter at the end. With etags a loop whose write is refused reads again
   * and retries.
   */
  async function race(useEtags: boolean, rounds: number): Promise<number> {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "counter");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { count: "0" } }] });
    // Both loops read, then both write: the schedule that loses an update.
    // Once one loop is done the other goes on alone.
    let arrived = 0;
    let finished = false;
    let release: () => void = () => undefined;
    let gate = new Promise<void>((resolve) => (release = resolve));
    const barrier = async () => {
      if (finished) return;
      arrived += 1;
      if (arrived < 2) return gate;
      arrived = 0;
      const open = release;
      gate = new Promise<void>((resolve) => (release = resolve));
      open();
    };
    const loop = async () => {
      for (let round = 0; round < rounds; round += 1) {
        for (;;) {
          const [response] = await collect(fixture.client.getMany({ username, blockKeys: [key] }));
          const state = response!.blockStates[0]!;
          await barrier();
          const next = String(Number(state.fields["count"]) + 1);
          try {
            await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { count: next }, ...(useEtags ? { precondition: { etag: state.etag } } : {}) }] });
            break;
          } catch (error) {
            if (!(error instanceof ConnectError && error.code === Code.Aborted && errorInfoOf(error).reason === "STATE_CHANGED")) throw error;
          }
        }
      }
      finished = true;
      release();
    };
    await Promise.all([loop(), loop()]);
    return Number((await stateOf(username, key))!["count"]);
  }

  it("without etags, two loops lose updates; with etags, every increment is applied", async () => {
    const rounds = 20;
    expect(await race(false, rounds)).toBeLessThan(2 * rounds);
    expect(await race(true, rounds)).toBe(2 * rounds);
  });
});

import { Code, type Client } from "@connectrpc/connect";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import {
  ChangeFeedExpired,
  ChangeFeedLost,
  ChangeKind,
  LearnerStateError,
  Scope,
  ServiceUnavailable,
  StateChanged,
  createLearnerStateClient,
  createLearnerStateServices,
  type LearnerStateClient,
  type StateChange,
  type UserStateService,
} from "../src/client/index.js";
import { blockKey, unique, useOwnDatabase, useServer } from "./support/fixture.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";

// The TypeScript client's side of WatchChanges and etags: its watch resumes
// by itself from its last token (across server restarts), reports a token
// the feed can no longer honour as ChangeFeedLost, and its single-item
// client carries etags for read-modify-write loops, a failed condition
// being StateChanged.
const fixture = useServer();
// A database of the file's own for the retention test, whose horizon must not move under other tests.
const ownDatabase = useOwnDatabase();

// Reconnections come quickly and keep trying while a server restarts on a loaded machine.
const resume = { initialDelayMs: 50, maxDelayMs: 500, maxAttempts: 60 };

/** A watch through the client: its opening token, and its changes read a given number at a time. */
interface Watch {
  /** The token of the opening message (no changes: the starting point). */
  readonly openingToken: string;
  /** The token of the last message read. */
  readonly lastToken: string;
  /** The next `count` changes, waiting up to `timeoutMs` for them (the watch is cancelled, and this fails, after that). */
  take(count: number, timeoutMs?: number): Promise<StateChange[]>;
  /** Changes read with a message but not taken yet. */
  readonly pending: readonly StateChange[];
  close(): Promise<void>;
}

/** Starts watching `courseKey` from now (or from `resumeToken`) and reads the opening message. */
async function openWatch(userState: Client<typeof UserStateService>, courseKey: string, resumeToken = ""): Promise<Watch> {
  const controller = new AbortController();
  const iterator = userState.watchChanges({ courseKey, resumeToken }, { signal: controller.signal })[Symbol.asyncIterator]();
  let lastToken = "";
  let pending: StateChange[] = [];
  const next = async () => {
    const result = await iterator.next();
    if (result.done === true) throw new Error("the watch ended");
    lastToken = result.value.resumeToken;
    return result.value;
  };
  const opening = await next();
  expect(opening.changes).toEqual([]);
  expect(opening.resumeToken).not.toBe("");
  return {
    openingToken: opening.resumeToken,
    get lastToken() {
      return lastToken;
    },
    get pending() {
      return pending;
    },
    async take(count, timeoutMs = 30_000) {
      const timer = setTimeout(() => controller.abort(new Error(`fewer than ${count} changes came within ${timeoutMs} ms`)), timeoutMs);
      try {
        while (pending.length < count) pending.push(...(await next()).changes);
      } finally {
        clearTimeout(timer);
      }
      const taken = pending.slice(0, count);
      pending = pending.slice(count);
      return taken;
    },
    async close() {
      await iterator.return?.(undefined).catch(() => undefined);
      controller.abort();
    },
  };
}

/** Sets `{ n: i }` on each key in turn, each its own call (so their changes commit in this order). */
async function writeEach(client: LearnerStateClient, username: string, keys: readonly string[]): Promise<void> {
  for (const [index, key] of keys.entries()) await client.set(username, key, { n: index });
}

/** The error `call` fails with (the test fails if it succeeds). */
async function failure(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => expect.fail("the call should have failed"),
    (caught: unknown) => caught,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the TypeScript client's watchChanges", () => {
  it("from now sees the client's writes and deletions, in commit order", async () => {
    const { userState } = createLearnerStateServices({ target: fixture.server.baseUrl });
    const client = createLearnerStateClient({ target: fixture.server.baseUrl });
    const course = `course-v1:${unique("Org")}+Watch+2026`;
    const learner = unique("learner");
    const keys = ["p0", "p1", "p2"].map((id) => blockKey(course, "problem", id));
    await client.set(learner, keys[0]!, { before: true }); // committed before the watch: not seen
    const watch = await openWatch(userState, course);
    try {
      await writeEach(client, learner, keys);
      await client.set(learner, keys[0]!, { b: 1, a: 2 });
      await client.delete(learner, keys[0]!, ["a", "missing"]);
      await client.delete(learner, keys[1]!);
      const changes = await watch.take(6);
      expect(changes.map((change) => [change.kind, change.blockKey, change.fieldNames, change.username, change.courseKey, change.scope])).toEqual([
        [ChangeKind.FIELDS_WRITTEN, keys[0], ["n"], learner, course, Scope.USER_STATE],
        [ChangeKind.FIELDS_WRITTEN, keys[1], ["n"], learner, course, Scope.USER_STATE],
        [ChangeKind.FIELDS_WRITTEN, keys[2], ["n"], learner, course, Scope.USER_STATE],
        [ChangeKind.FIELDS_WRITTEN, keys[0], ["a", "b"], learner, course, Scope.USER_STATE],
        [ChangeKind.FIELDS_DELETED, keys[0], ["a"], learner, course, Scope.USER_STATE],
        [ChangeKind.STATE_DELETED, keys[1], [], learner, course, Scope.USER_STATE],
      ]);
      const micros = changes.map((change) => change.updateTime!.seconds * 1_000_000n + BigInt(change.updateTime!.nanos / 1000));
      expect(micros.toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(micros);
      expect(watch.pending).toEqual([]);
    } finally {
      await watch.close();
    }
  });

  it.each(["SIGTERM", "SIGKILL"] as const)(
    "goes on from its last token across a server restart (%s), with no change lost or repeated",
    { timeout: 120_000 },
    async (signal) => {
      const databaseUrl = inject("databaseUrl");
      let server: ServerProcess = await startServerProcess({ DATABASE_URL: databaseUrl });
      const port = server.port;
      const { userState } = createLearnerStateServices({ target: server.baseUrl, resume });
      const course = `course-v1:${unique("Org")}+Restart+2026`;
      const learner = unique("learner");
      const keysOf = (prefix: string) => Array.from({ length: 5 }, (_, index) => blockKey(course, "problem", `${prefix}${index}`));
      const [before, unread, after] = [keysOf("a"), keysOf("b"), keysOf("c")];
      const watch = await openWatch(userState, course);
      try {
        const firstWriter = createLearnerStateClient({ target: server.baseUrl });
        await writeEach(firstWriter, learner, before);
        expect((await watch.take(5)).map((change) => change.blockKey)).toEqual(before);
        // Committed after the last message the watch read; the old server may or may not have sent them.
        await writeEach(firstWriter, learner, unread);

        server.kill(signal);
        // Reading goes on while no server listens: the client keeps reconnecting.
        const rest = watch.take(10, 90_000);
        rest.catch(() => undefined);
        await server.exited;
        await sleep(300);
        server = await startServerProcess({ DATABASE_URL: databaseUrl, PORT: String(port) });
        expect(server.port).toBe(port);
        const secondWriter = createLearnerStateClient({ target: server.baseUrl });
        await writeEach(secondWriter, learner, after);
        expect((await rest).map((change) => change.blockKey)).toEqual([...unread, ...after]);

        // Nothing more before a change written last: no change came twice.
        const last = blockKey(course, "problem", "last");
        await secondWriter.set(learner, last, { n: 0 });
        expect((await watch.take(1)).map((change) => change.blockKey)).toEqual([last]);
        expect(watch.pending).toEqual([]);
      } finally {
        await watch.close();
        await server.stop();
      }
    },
  );

  it("reports a token older than the feed's retention as ChangeFeedExpired, a ChangeFeedLost", { timeout: 120_000 }, async () => {
    const env = { DATABASE_URL: ownDatabase.url };
    const course = `course-v1:${unique("Org")}+Expired+2026`;
    const db = new pg.Pool({ connectionString: ownDatabase.url, max: 1 });
    let server = await startServerProcess({ ...env, CHANGE_FEED_RETENTION_SECONDS: "1", CHANGE_FEED_RETENTION_INTERVAL_MS: "200" });
    try {
      const watch = await openWatch(createLearnerStateServices({ target: server.baseUrl }).userState, course);
      const token = watch.openingToken;
      await watch.close();
      // A change after the token, which retention then removes.
      await createLearnerStateClient({ target: server.baseUrl }).set(unique("learner"), blockKey(course, "problem", "p"), { n: 1 });
      const deadline = Date.now() + 60_000;
      for (;;) {
        const { rows } = await db.query<{ count: string }>("select count(*) from state_change where context_key = $1", [course]);
        if (rows[0]!.count === "0") break;
        if (Date.now() > deadline) expect.fail("retention did not remove the change within 60 s (a transaction left open elsewhere on the cluster holds it back)");
        await sleep(200);
      }
      // A server that never read the course: its answer comes from the database, not from pages it kept.
      expect(await server.stop()).toBe(0);
      server = await startServerProcess(env);

      const { userState } = createLearnerStateServices({ target: server.baseUrl, resume });
      const received: StateChange[] = [];
      const error = await failure(
        (async () => {
          for await (const message of userState.watchChanges({ courseKey: course, resumeToken: token })) received.push(...message.changes);
        })(),
      );
      expect(error).toBeInstanceOf(ChangeFeedExpired);
      expect(error).toBeInstanceOf(ChangeFeedLost);
      expect(error).not.toBeInstanceOf(ServiceUnavailable);
      const lost = error as ChangeFeedLost;
      expect(lost.code).toBe(Code.OutOfRange);
      expect(lost.reason).toBe("CHANGE_FEED_EXPIRED");
      expect(received).toEqual([]);
    } finally {
      await server.stop();
      await db.end();
    }
  });
});

describe("the TypeScript single-item client's etags", () => {
  it("refuses a write or deletion with a stale etag as StateChanged, with the current etag, and writes nothing", async () => {
    const client = createLearnerStateClient({ target: fixture.server.baseUrl });
    const learner = unique("learner");
    const key = blockKey(`course-v1:${unique("Org")}+Etag+2026`, "problem", "p");
    expect(await client.getWithEtag(learner, key)).toBeUndefined();

    const created = await client.setWithEtag(learner, key, { a: 1 }, { ifAbsent: true });
    expect(created.etag).not.toBe("");
    expect(Math.abs(created.updateTime.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await client.getWithEtag(learner, key)).toEqual({ fields: { a: 1 }, etag: created.etag });
    const updated = await client.setWithEtag(learner, key, { a: 2 }, { ifMatch: created.etag });
    expect(updated.etag).not.toBe(created.etag);
    // A field selection reads the same etag: it names the whole state's version.
    expect(await client.getWithEtag(learner, key, ["missing"])).toEqual({ fields: {}, etag: updated.etag });

    const refusals = [
      () => client.set(learner, key, { a: 3 }, { ifMatch: created.etag }),
      () => client.setWithEtag(learner, key, { b: 3 }, { ifAbsent: true }),
      () => client.delete(learner, key, undefined, { ifMatch: created.etag }),
      () => client.delete(learner, key, ["a"], { ifAbsent: true }),
    ];
    for (const refused of refusals) {
      const error = await failure(refused());
      expect(error).toBeInstanceOf(StateChanged);
      expect(error).toBeInstanceOf(LearnerStateError);
      expect(error).not.toBeInstanceOf(ServiceUnavailable); // not OutcomeUnknown, although ABORTED: nothing was written
      const changed = error as StateChanged;
      expect(changed.code).toBe(Code.Aborted);
      expect(changed.reason).toBe("STATE_CHANGED");
      expect([...changed.currentEtags]).toEqual([[key, updated.etag]]);
      expect(changed.changedCount).toBe(1);
    }
    expect(await client.getWithEtag(learner, key)).toEqual({ fields: { a: 2 }, etag: updated.etag });

    // Deleted: the etag no longer matches, and the current etag is "" (no state).
    await client.delete(learner, key, undefined, { ifMatch: updated.etag });
    const gone = await failure(client.set(learner, key, { a: 4 }, { ifMatch: updated.etag }));
    expect(gone).toBeInstanceOf(StateChanged);
    expect((gone as StateChanged).currentEtags.get(key)).toBe("");
    expect(await client.get(learner, key)).toBeUndefined();
    await client.set(learner, key, { a: 5 }, { ifAbsent: true });
    expect(await client.get(learner, key)).toEqual({ a: 5 });
  });

  it("lets two concurrent read-modify-write loops apply every increment", { timeout: 120_000 }, async () => {
    const learner = unique("learner");
    const key = blockKey(`course-v1:${unique("Org")}+Counter+2026`, "problem", "p");
    const increments = 25;
    let conflicts = 0;

    /** Adds one to the counter `increments` times, reading again whenever another writer came first. */
    async function incrementLoop(client: LearnerStateClient): Promise<void> {
      for (let done = 0; done < increments; ) {
        const current = await client.getWithEtag(learner, key);
        const count = (current?.fields["count"] as number | undefined) ?? 0;
        try {
          await client.set(learner, key, { count: count + 1 }, current === undefined ? { ifAbsent: true } : { ifMatch: current.etag });
          done += 1;
        } catch (error) {
          if (!(error instanceof StateChanged)) throw error;
          conflicts += 1;
        }
      }
    }

    // Two clients, two connections: the loops really run side by side.
    await Promise.all([
      incrementLoop(createLearnerStateClient({ target: fixture.server.baseUrl })),
      incrementLoop(createLearnerStateClient({ target: fixture.server.baseUrl })),
    ]);
    expect(await createLearnerStateClient({ target: fixture.server.baseUrl }).get(learner, key)).toEqual({ count: 2 * increments });
    // Every successful write is one history entry: no write was lost or applied twice.
    const { rows } = await fixture.db.query<{ count: string }>("select count(*) from user_state_history where username = $1 and usage_key = $2", [learner, key]);
    expect(Number(rows[0]!.count)).toBe(2 * increments);
    console.log(`read-modify-write: ${2 * increments} increments, ${conflicts} StateChanged retries`);
  });
});

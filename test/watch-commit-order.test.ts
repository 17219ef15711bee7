// The change feed's central promise, under the conditions that break naive
// feeds: writers whose transactions take their ids early and commit late
// (so ids and commit order disagree), watchers cut at random points and
// resumed on another server, and a server restarted under them. Every
// watcher's merged feed must be exactly the committed history.
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { UserStateService } from "../gen/learnerstate/v1/user_state_service_pb.js";
import { FieldSelectionSchema, type StateChange } from "../gen/learnerstate/v1/user_state_pb.js";
import { create } from "@bufbuild/protobuf";
import { refusedStream } from "../src/client/errors.js";
import { userStateStatements } from "../src/store/state-sql.js";
import { userStateClient } from "./support/clients.js";
import { blockKey, unique } from "./support/fixture.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const random = (below: number) => Math.floor(Math.random() * below);
const serverEnv = {};

const org = unique("Org");
const course = `course-v1:${org}+Order+2026`;
const learners = Array.from({ length: 4 }, (_, index) => unique(`learner${index}`));
const keys = Array.from({ length: 6 }, (_, index) => blockKey(course, "problem", `p${index}`));

let servers: ServerProcess[] = [];
let db: pg.Pool;
beforeAll(async () => {
  servers = [await startServerProcess({ DATABASE_URL: inject("databaseUrl"), ...serverEnv }), await startServerProcess({ DATABASE_URL: inject("databaseUrl"), ...serverEnv })];
  db = new pg.Pool({ connectionString: inject("databaseUrl"), max: 8 });
});
afterAll(async () => {
  await db?.end();
  for (const server of servers) expect(await server.stop()).toBe(0);
});

const anyClient = (): Client<typeof UserStateService> => userStateClient(servers[random(servers.length)]!.baseUrl);

/** SetMany's own statement, sent in a transaction that takes its id first and commits after a pause: later transactions commit before it. */
async function delayedWrite(username: string, key: string, fields: Record<string, unknown>): Promise<void> {
  let count = 0;
  const sql = userStateStatements.writeStates.replace(/\?/gu, () => `$${(count += 1)}`);
  const input = JSON.stringify([{ ord: 0, usage_key: key, context_key: course, block_type: "problem", state: fields }]);
  const connection = await db.connect();
  try {
    await connection.query("begin");
    await connection.query("select pg_current_xact_id()");
    await sleep(random(150));
    await connection.query(sql, [input, username, "user_state", username, "user_state", 1_000_000, 1_000_000]);
    await sleep(50 + random(400));
    await connection.query("commit");
  } finally {
    connection.release();
  }
}

/** A write through a server: a set, a whole deletion or a field deletion. Failures (a server going away) are the test's weather. */
async function serverWrite(username: string, key: string, round: number): Promise<void> {
  const client = anyClient();
  const choice = random(6);
  try {
    if (choice === 0) await client.deleteMany({ username, blockKeys: [key] });
    else if (choice === 1) await client.deleteMany({ username, blockKeys: [key], fieldSelection: create(FieldSelectionSchema, { fieldNames: ["a"] }) });
    else await client.setMany({ username, updates: [{ blockKey: key, fields: { [choice % 2 === 0 ? "a" : "b"]: String(round) } }] });
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
  }
}

/** A watcher that is cut after a random number of messages (or a random time) and resumes from its last token on a random server. */
function startWatcher(startToken: string) {
  const received: StateChange[] = [];
  let token = startToken;
  let stopped = false;
  let cuts = 0;
  const running = (async () => {
    while (!stopped) {
      const controller = new AbortController();
      const cutAfter = 1 + random(15);
      const timer = setTimeout(() => controller.abort(), 100 + random(1500));
      let messages = 0;
      try {
        for await (const response of anyClient().watchChanges({ courseKey: course, resumeToken: token }, { signal: controller.signal })) {
          received.push(...response.changes);
          token = response.resumeToken;
          messages += 1;
          if (messages >= cutAfter || stopped) break;
        }
      } catch (error) {
        // A stream opened on a connection the restarting server refuses is reset
        // with REFUSED_STREAM (never processed), which connect-node reports as INTERNAL.
        const refused = error instanceof ConnectError && error.code === Code.Internal && refusedStream.test(error.message);
        if (!refused && (!(error instanceof ConnectError) || ![Code.Canceled, Code.Unavailable].includes(error.code))) throw error;
      } finally {
        clearTimeout(timer);
      }
      cuts += 1;
    }
  })();
  return {
    received,
    cuts: () => cuts,
    async stop() {
      stopped = true;
      await running;
    },
  };
}

/** The token of "now" on a server. */
async function tokenOfNow(): Promise<string> {
  for await (const response of anyClient().watchChanges({ courseKey: course })) return response.resumeToken;
  throw new Error("the watch ended at once");
}

const identity = (username: string, key: string, micros: bigint) => `${username} ${key} ${micros}`;
const microsOf = (change: StateChange) => change.updateTime!.seconds * 1_000_000n + BigInt(change.updateTime!.nanos / 1000);

describe("WatchChanges under delayed commits, cuts and a server restart", () => {
  it("gives every watcher every committed change exactly once, in commit order per block", async () => {
    const tokens = await Promise.all([tokenOfNow(), tokenOfNow(), tokenOfNow()]);
    const watchers = tokens.map(startWatcher);

    const until = Date.now() + 6000;
    let round = 0;
    const writers = [
      ...Array.from({ length: 4 }, async () => {
        while (Date.now() < until) await delayedWrite(learners[random(learners.length)]!, keys[random(keys.length)]!, { a: round++, c: "delayed" });
      }),
      ...Array.from({ length: 4 }, async () => {
        while (Date.now() < until) await serverWrite(learners[random(learners.length)]!, keys[random(keys.length)]!, round++);
      }),
    ];
    // A server restart in the middle: its watchers are cut and resume elsewhere.
    await sleep(2500);
    const restarted = servers[0]!;
    servers = servers.slice(1);
    expect(await restarted.stop()).toBe(0);
    servers.push(await startServerProcess({ DATABASE_URL: inject("databaseUrl"), ...serverEnv }));
    await Promise.all(writers);

    const history = await db.query<{ username: string; usage_key: string; micros: string }>(
      `select username, usage_key, (extract(epoch from modified) * 1000000)::bigint::text as micros
       from user_state_history where usage_key like $1 order by id`,
      [`block-v1:${org}+Order+2026+%`],
    );
    const expected = history.rows.map((row) => identity(row.username, row.usage_key, BigInt(row.micros)));
    expect(expected.length).toBeGreaterThan(100);
    const deadline = Date.now() + 30_000;
    while (watchers.some((watcher) => watcher.received.length < expected.length) && Date.now() < deadline) await sleep(200);
    await Promise.all(watchers.map((watcher) => watcher.stop()));

    // History ids order the writes of one block as they committed.
    const orderOf = (identities: readonly string[]) => {
      const perBlock = new Map<string, string[]>();
      for (const line of identities) {
        const [username, key, micros] = line.split(" ");
        const block = `${username} ${key}`;
        perBlock.set(block, [...(perBlock.get(block) ?? []), micros!]);
      }
      return perBlock;
    };
    for (const watcher of watchers) {
      expect(watcher.cuts()).toBeGreaterThan(3);
      const got = watcher.received.map((change) => identity(change.username, change.blockKey, microsOf(change)));
      expect(new Set(got).size).toBe(got.length); // none repeated
      expect([...got].sort()).toEqual([...expected].sort()); // none missing, none extra
      expect(orderOf(got)).toEqual(orderOf(expected));
    }
  });
});

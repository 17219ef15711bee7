import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, userStateClient } from "../support/clients.js";
import { blockKey, unique } from "../support/fixture.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";
import { startPrimary, startStandby, type PostgresNode } from "./support/postgres-cluster.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const database = "learnerstate";
const maxLagMs = 1000;

let primary: PostgresNode;
let standby: PostgresNode;
let server: ServerProcess;
beforeAll(async () => {
  primary = await startPrimary(database);
  standby = await startStandby(primary);
  server = await startServerProcess({ DATABASE_URL: primary.url(database), DATABASE_REPLICA_URLS: standby.url(database), REPLICA_MAX_LAG_MS: String(maxLagMs) });
});
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  await standby?.destroy();
  await primary?.destroy();
});

/** Calls of each statement on `node` so far (pg_stat_statements), by statement text. */
async function statementCalls(node: PostgresNode): Promise<Map<string, number>> {
  const rows = await node.query<{ query: string; calls: string }>(database, "select query, calls::text from pg_stat_statements where dbid = (select oid from pg_database where datname = $1)", [database]);
  const calls = new Map<string, number>();
  for (const row of rows) calls.set(row.query, (calls.get(row.query) ?? 0) + Number(row.calls));
  return calls;
}

/**
 * The statements `node` ran between two snapshots, with how often, leaving
 * out the server's heartbeats, knex's version check of a new connection and
 * the test's own queries.
 */
function ranBetween(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const ran = new Map<string, number>();
  for (const [query, calls] of after) {
    const more = calls - (before.get(query) ?? 0);
    const housekeeping = /transaction_read_only|as serves|pg_last_wal_replay_lsn|pg_stat_statements|pg_stat_activity|^select version\(\)/u.test(query);
    if (more > 0 && !housekeeping) ran.set(query, more);
  }
  return ran;
}

/** The first line of each statement, for the printout. */
const summary = (ran: Map<string, number>) =>
  [...ran].map(([query, calls]) => `${calls}× ${query.trim().split("\n")[0]!.slice(0, 70)}`).join("\n      ") || "(nothing)";

/** What the server's own connections (application_name learnerstate) on `node` last ran. */
async function activity(node: PostgresNode): Promise<string[]> {
  const rows = await node.query<{ query: string }>(database, "select query from pg_stat_activity where application_name = 'learnerstate' and datname = $1", [database]);
  return rows.map((row) => row.query);
}

const firstLines = (queries: string[]) => JSON.stringify(queries.map((query) => query.trim().split("\n")[0]!.slice(0, 70)));

async function waitForLog(text: string, after: number, timeoutMs = 15_000): Promise<void> {
  for (const started = Date.now(); Date.now() - started < timeoutMs; await sleep(50)) {
    if (server.output.slice(after).some((line) => line.includes(text))) return;
  }
  throw new Error(`the server did not log "${text}" within ${timeoutMs} ms`);
}

describe("DATABASE_REPLICA_URLS: a hot standby by streaming replication", () => {
  const course = `course-v1:${unique("Org")}+Standby+2026`;
  const learners = Array.from({ length: 20 }, (_, index) => unique(`learner${index}`));
  const keys = Array.from({ length: 5 }, (_, index) => blockKey(course, "problem", `p${index}`));
  const client = () => userStateClient(server.baseUrl);

  it("serves IterAll and GetHistory from the standby, and GetMany and writes from the primary", async () => {
    await waitForLog("serves bulk reads", 0);
    for (const username of learners) {
      await client().setMany({ username, updates: keys.map((key) => ({ blockKey: key, fields: { attempts: "1" } })) });
      await client().setMany({ username, updates: [{ blockKey: keys[0]!, fields: { attempts: "2" } }] });
    }
    await sleep(maxLagMs); // the standby replays what was just written

    const primaryBefore = await statementCalls(primary);
    const standbyBefore = await statementCalls(standby);
    let rows = 0;
    let history = 0;
    for (let round = 0; round < 10; round += 1) {
      rows += (await collect(client().iterAllForCourse({ courseKey: course, batchSize: 25 }))).flatMap((message) => message.blockStates).length;
      rows += (await collect(client().iterAllForBlock({ blockKey: keys[0]!, batchSize: 25 }))).flatMap((message) => message.blockStates).length;
      history += (await collect(client().getHistory({ username: learners[round]!, blockKey: keys[0]! }))).flatMap((message) => message.entries).length;
    }
    const bulkOnPrimary = ranBetween(primaryBefore, await statementCalls(primary));
    const bulkOnStandby = ranBetween(standbyBefore, await statementCalls(standby));
    const standbyActivity = await activity(standby);
    const primaryActivity = await activity(primary);

    const primaryBeforeReads = await statementCalls(primary);
    const standbyBeforeReads = await statementCalls(standby);
    for (const username of learners) await collect(client().getMany({ username, blockKeys: keys }));
    await client().setMany({ username: learners[0]!, updates: [{ blockKey: keys[1]!, fields: { attempts: "3" } }] });
    const readsOnPrimary = ranBetween(primaryBeforeReads, await statementCalls(primary));
    const readsOnStandby = ranBetween(standbyBeforeReads, await statementCalls(standby));

    console.log(
      [
        `10 × (IterAllForCourse + IterAllForBlock + GetHistory): ${rows} rows, ${history} history entries`,
        `  statements on the standby: ${summary(bulkOnStandby)}`,
        `  statements on the primary: ${summary(bulkOnPrimary)}`,
        `  pg_stat_activity, the server's connections on the standby: ${firstLines(standbyActivity)}`,
        `  pg_stat_activity, the server's connections on the primary: ${firstLines(primaryActivity)}`,
        `20 × GetMany + 1 SetMany:`,
        `  statements on the primary: ${summary(readsOnPrimary)}`,
        `  statements on the standby: ${summary(readsOnStandby)}`,
      ].join("\n"),
    );
    expect(rows).toBe(10 * (learners.length * keys.length + learners.length));
    expect(history).toBe(10 * 2);
    expect([...bulkOnStandby.values()].reduce((sum, calls) => sum + calls, 0)).toBeGreaterThanOrEqual(30);
    expect([...bulkOnPrimary.keys()]).toEqual([]);
    expect(standbyActivity.some((query) => /user_state/u.test(query))).toBe(true);
    expect(primaryActivity.some((query) => /from user_state_history|"s"\."id"/u.test(query))).toBe(false);
    expect([...readsOnPrimary.values()].reduce((sum, calls) => sum + calls, 0)).toBeGreaterThanOrEqual(21);
    expect([...readsOnStandby.keys()]).toEqual([]);
  });

  it("skips a standby lagging beyond REPLICA_MAX_LAG_MS for the primary, and goes back to it once it caught up", async () => {
    await standby.query(database, "select pg_wal_replay_pause()");
    const pausedAt = server.output.length;
    const latecomer = unique("latecomer");
    const writtenAt = Date.now();
    await client().setMany({ username: latecomer, updates: [{ blockKey: keys[0]!, fields: { attempts: "1" } }] });
    await waitForLog("is skipped", pausedAt);
    const skippedAfterMs = Date.now() - writtenAt;
    const primaryBefore = await statementCalls(primary);
    const seen = (await collect(client().iterAllForBlock({ blockKey: keys[0]! }))).flatMap((message) => message.blockStates.map((state) => state.username));
    const history = await collect(client().getHistory({ username: latecomer, blockKey: keys[0]! }));
    const onPrimary = ranBetween(primaryBefore, await statementCalls(primary));
    const [{ replayed }] = await standby.query<{ replayed: boolean }>(database, "select exists (select 1 from user_state where username = $1) as replayed", [latecomer]);

    await standby.query(database, "select pg_wal_replay_resume()");
    const resumedAt = server.output.length;
    await waitForLog("serves bulk reads", resumedAt);
    const standbyBefore = await statementCalls(standby);
    const again = (await collect(client().iterAllForBlock({ blockKey: keys[0]! }))).flatMap((message) => message.blockStates.map((state) => state.username));
    const onStandby = ranBetween(standbyBefore, await statementCalls(standby));
    console.log(
      [
        `replay paused on the standby: skipped ${skippedAfterMs} ms after the next write (REPLICA_MAX_LAG_MS=${maxLagMs}); that write is on the standby: ${replayed}`,
        `  bulk reads meanwhile, on the primary: ${summary(onPrimary)}`,
        `  after the standby caught up, on the standby: ${summary(onStandby)}`,
      ].join("\n"),
    );
    expect(replayed).toBe(false);
    expect(seen).toContain(latecomer);
    expect(history.flatMap((message) => message.entries)).toHaveLength(1);
    expect(onPrimary.size).toBeGreaterThan(0);
    expect(again).toContain(latecomer);
    expect(onStandby.size).toBeGreaterThan(0);
  });

  it("skips a standby that went down, without one failed bulk read", async () => {
    const outcomes: string[] = [];
    let running = true;
    const reader = (async () => {
      while (running) {
        outcomes.push(
          await collect(client().iterAllForCourse({ courseKey: course, batchSize: 10 }, { timeoutMs: 10_000 })).then(
            () => "OK",
            (error: unknown) => `${Code[ConnectError.from(error).code]}: ${ConnectError.from(error).message}`,
          ),
        );
      }
    })();
    await sleep(500);
    const stoppedAt = server.output.length;
    await standby.stop("immediate");
    await waitForLog("is skipped", stoppedAt);
    await sleep(1000);
    running = false;
    await reader;
    const failed = outcomes.filter((outcome) => outcome !== "OK");
    console.log(`standby crashed under bulk reads: ${outcomes.length} IterAllForCourse calls, ${failed.length} failed`);
    expect(failed).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(2);
  });
});

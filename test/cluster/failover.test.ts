import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLearnerStateServices } from "../../src/client/index.js";
import { unique } from "../support/fixture.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";
import { startFormation, type Formation } from "./support/auto-failover.js";
import { startLoad, tally } from "./support/load.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const database = "learnerstate";

let formation: Formation;
let server: ServerProcess;
beforeAll(async () => {
  formation = await startFormation(database);
  server = await startServerProcess({ DATABASE_URL: formation.url });
});
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  await formation?.destroy();
});

/**
 * A WatchChanges consumer from now on `course`, through the TypeScript
 * client, which resumes from its last token after UNAVAILABLE; each change is
 * kept as "username block_key update-micros".
 */
function startWatcher(baseUrl: string, course: string) {
  const { userState } = createLearnerStateServices({ target: baseUrl, resume: { maxAttempts: 1000, maxDelayMs: 500 } });
  const controller = new AbortController();
  const seen: string[] = [];
  let opened: () => void = () => undefined;
  const openedPromise = new Promise<void>((resolve) => (opened = resolve));
  const reading = (async () => {
    try {
      for await (const response of userState.watchChanges({ courseKey: course }, { signal: controller.signal })) {
        opened();
        for (const change of response.changes) {
          const micros = change.updateTime!.seconds * 1_000_000n + BigInt(change.updateTime!.nanos / 1000);
          seen.push(`${change.username} ${change.blockKey} ${micros}`);
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  })();
  return {
    opened: openedPromise,
    /** Waits until `enough(seen)` or `timeoutMs`, stops, and returns what was seen. */
    async stopWhen(enough: (seen: readonly string[]) => boolean, timeoutMs: number): Promise<string[]> {
      const until = Date.now() + timeoutMs;
      while (!enough(seen) && Date.now() < until) await sleep(200);
      controller.abort();
      await reading;
      return seen;
    },
  };
}

const seconds = (ms: number) => `${ms < 0 ? "-" : "+"}${(Math.abs(ms) / 1000).toFixed(1)} s`;

describe("DATABASE_URL naming both nodes of a pg_auto_failover formation (target_session_attrs=read-write)", () => {
  it("finds the new primary by itself when the primary is killed under SetMany load, loses no acknowledged write, and a change-feed consumer gets every committed write once", async () => {
    const primary = await formation.primary();
    const before = new pg.Client({ connectionString: primary.url() });
    await before.connect();
    const [replication] = (
      await before.query<{ standbys: string; commit: string }>("select current_setting('synchronous_standby_names') as standbys, current_setting('synchronous_commit') as commit")
    ).rows;
    await before.end();
    // A consumer of the change feed, watching the load's course through the failover with the TypeScript client, which resumes by itself.
    const course = `course-v1:${unique("Org")}+Load+2026`;
    const watcher = startWatcher(server.baseUrl, course);
    await watcher.opened;
    const load = startLoad(server.baseUrl, { writers: 6, readers: 2, bulkReaders: 0, timeoutMs: 5000, pauseMs: 5, course });
    await sleep(3000);
    const killedAt = Date.now();
    formation.kill(primary);
    // Until a write started after the kill has been acknowledged, then some more.
    for (;;) {
      await sleep(200);
      if (load.calls.some((call) => call.kind === "write" && call.code === "OK" && call.startedAt > killedAt)) break;
      if (Date.now() - killedAt > 90_000) throw new Error(`no write acknowledged within 90 s of the kill: ${(await formation.states()).join(", ")}`);
    }
    await sleep(3000);
    const report = await load.stop();
    const promoted = await formation.primary();

    const afterKill = report.calls.filter((call) => call.endedAt > killedAt);
    const failures = afterKill.filter((call) => call.code !== "OK");
    const firstFailure = Math.min(...failures.map((call) => call.startedAt));
    const lastFailure = Math.max(...failures.map((call) => call.endedAt));
    const firstWriteBack = Math.min(...report.calls.filter((call) => call.kind === "write" && call.code === "OK" && call.startedAt > killedAt).map((call) => call.startedAt));

    const client = new pg.Client({ connectionString: promoted.url() });
    await client.connect();
    const stored = await client.query<{ username: string; usage_key: string; state: Record<string, string> }>("select username, usage_key, state from user_state where context_key = $1", [report.course]);
    // Every committed write, as the new primary's history has it: what the watcher must have got, once each.
    const history = await client.query<{ username: string; usage_key: string; micros: string }>(
      "select username, usage_key, (extract(epoch from modified) * 1000000)::bigint::text as micros from user_state_history where usage_key like $1",
      [`block-v1:${report.course.slice("course-v1:".length)}+%`],
    );
    await client.end();
    const committed = history.rows.map((row) => `${row.username} ${row.usage_key} ${row.micros}`).sort();
    const watched = await watcher.stopWhen((seen) => seen.length >= committed.length, 30_000);
    const stateOf = new Map(stored.rows.map((row) => [`${row.username} ${row.usage_key}`, row.state]));
    const acknowledged = report.writes.filter((write) => write.acknowledged);
    const lost = acknowledged.filter((write) => stateOf.get(`${write.username} ${write.key}`)?.[write.field] === undefined);
    const unknown = report.calls.filter((call) => call.reason === "OUTCOME_UNKNOWN").length;

    console.log(
      [
        `pg_auto_failover: ${primary.name} primary with synchronous_standby_names ${JSON.stringify(replication?.standbys)}, synchronous_commit ${replication?.commit}`,
        `  killed ${primary.name} (SIGKILL to its keeper and PostgreSQL) under load; ${promoted.name} is primary now (${(await formation.states()).join(", ")})`,
        `  first failed call started at ${seconds(firstFailure - killedAt)} from the kill, the last one ended at ${seconds(lastFailure - killedAt)}: ${((lastFailure - firstFailure) / 1000).toFixed(1)} s of failed calls`,
        `  first write acknowledged by the new primary started at ${seconds(firstWriteBack - killedAt)}`,
        `  calls after the kill: ${tally(afterKill)}`,
        `  acknowledged writes: ${acknowledged.length}, lost: ${lost.length}; writes answered OUTCOME_UNKNOWN: ${unknown}`,
        `  change feed: ${watched.length} changes watched through the failover, ${committed.length} in the new primary's history`,
        `  server log: ${server.output.filter((line) => line.includes("database: using")).map((line) => (JSON.parse(line) as { msg: string }).msg).join(" → ")}`,
      ].join("\n"),
    );
    expect(replication?.standbys).toMatch(/^ANY 1 /u);
    expect(replication?.commit).toBe("on");
    expect(promoted.name).not.toBe(primary.name);
    expect(lost).toEqual([]);
    expect(new Set(watched).size).toBe(watched.length);
    expect([...watched].sort()).toEqual(committed);
    expect(failures.every((call) => call.code === "Unavailable" || call.reason === "OUTCOME_UNKNOWN")).toBe(true);
    expect(server.output.some((line) => line.includes(`database: using 127.0.0.1:${promoted.port}`))).toBe(true);
  });
});

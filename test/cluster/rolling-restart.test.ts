import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freeLoopbackPort } from "../../src/server/free-loopback-port.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";
import { startHaProxy, type Backend, type HaProxy } from "./support/haproxy.js";
import { startLoad, tally } from "./support/load.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const replicas: Array<{ backend: Backend; server: ServerProcess }> = [];
let proxy: HaProxy | undefined;
afterAll(async () => {
  await proxy?.stop();
  for (const { server } of replicas) expect(await server.stop()).toBe(0);
});

/**
 * A replica on the ports of `backend`, against the suite's database, with the
 * default drain delay (SHUTDOWN_DELAY_MS unset): HAProxy checks /readyz every
 * 0.5 s here. The heartbeat gets more patience than by default: the machine
 * is shared, and a silent database is not what this test is about.
 */
const startReplica = (backend: Backend) =>
  startServerProcess({
    DATABASE_URL: inject("databaseUrl"),
    PORT: String(backend.port),
    METRICS_PORT: String(backend.metricsPort),
    SHUTDOWN_DELAY_MS: undefined,
    DB_HEARTBEAT_TIMEOUT_MS: "2000",
  });

describe("three replicas behind HAProxy", () => {
  it("restart one after the other (SIGTERM, drain, start again) under steady load without one failed call", async () => {
    const backends: Backend[] = [];
    for (const name of ["r1", "r2", "r3"]) backends.push({ name, port: await freeLoopbackPort(), metricsPort: await freeLoopbackPort() });
    for (const backend of backends) replicas.push({ backend, server: await startReplica(backend) });
    proxy = await startHaProxy(backends, { mode: "http", checkIntervalMs: 500 });
    await proxy.waitFor(["r1", "r2", "r3"], "UP");

    const load = startLoad(proxy.baseUrl, { writers: 6, readers: 3, bulkReaders: 2, timeoutMs: 10_000, pauseMs: 5 });
    await sleep(2000);
    const restarts: string[] = [];
    for (const replica of replicas) {
      const { name } = replica.backend;
      const callsBefore = load.calls.length;
      const signalledAt = Date.now();
      let exitedAt: number | null = null;
      void replica.server.exited.then(() => (exitedAt = Date.now()));
      replica.server.kill("SIGTERM");
      // /readyz turns 503 at once, and the replica keeps serving for
      // SHUTDOWN_DELAY_MS: HAProxy takes it out before it closes connections.
      await proxy.waitFor([name], "DOWN");
      const takenOutMs = Date.now() - signalledAt;
      expect(exitedAt, `${name} exited before HAProxy took it out`).toBeNull();
      const exitCode = await replica.server.exited;
      replica.server = await startReplica(replica.backend);
      await proxy.waitFor([name], "UP");
      restarts.push(
        `${name}: out of rotation ${takenOutMs} ms after SIGTERM, exit ${exitCode} after ${exitedAt! - signalledAt} ms, back in rotation after ${Date.now() - signalledAt} ms (${load.calls.length - callsBefore} calls meanwhile)`,
      );
      expect(exitCode).toBe(0);
      await sleep(1500);
    }
    await sleep(1500);
    const report = await load.stop();
    const stats = await proxy.stats();

    const failed = report.calls.filter((call) => call.code !== "OK");
    const db = new pg.Client({ connectionString: inject("databaseUrl") });
    await db.connect();
    const stored = await db.query<{ username: string; usage_key: string; state: Record<string, string> }>(
      "select username, usage_key, state from user_state where context_key = $1",
      [report.course],
    );
    await db.end();
    const stateOf = new Map(stored.rows.map((row) => [`${row.username} ${row.usage_key}`, row.state]));
    const lost = report.writes.filter((write) => write.acknowledged && stateOf.get(`${write.username} ${write.key}`)?.[write.field] === undefined);

    console.log(
      [
        "rolling restart of 3 replicas behind HAProxy (h2c to the backends, /readyz health checks, retry-on conn-failure, redispatch):",
        ...restarts.map((line) => `  ${line}`),
        `  requests sent: ${report.calls.length}; failed: ${failed.length}`,
        `  by kind: ${tally(report.calls)}`,
        `  per replica (HAProxy): ${stats.map((server) => `${server.name} ${server.sessions} calls, ${server.retries} retried, ${server.redispatches} redispatched`).join("; ")}`,
        `  acknowledged writes lost: ${lost.length} of ${report.writes.filter((write) => write.acknowledged).length}`,
        ...(failed.length === 0 ? [] : ["  HAProxy's log of failed requests:", ...proxy.log.filter((line) => / (?!200 )\d{3} \d+ /u.test(line)).map((line) => `    ${line.trim()}`)]),
      ].join("\n"),
    );

    expect(failed.map((call) => `${call.kind}: ${call.message}`)).toEqual([]);
    expect(lost).toEqual([]);
    expect(report.calls.filter((call) => call.kind === "bulk").length).toBeGreaterThan(0);
    // Every replica took a share of the calls.
    for (const server of stats) expect(server.sessions).toBeGreaterThan(report.calls.length / 10);
  });
});

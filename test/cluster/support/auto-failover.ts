import { spawn, type ChildProcess } from "node:child_process";
import { readdir, readlink, rm } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { freeLoopbackPort } from "../../../src/server/free-loopback-port.js";
import { asPostgres, postgresBin, postgresDirectory, runAsPostgres } from "./postgres-cluster.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A data node of the formation: PostgreSQL and the pg_autoctl keeper that runs it. */
export interface FailoverNode {
  readonly name: string;
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>`. */
  url(): string;
}

/** A pg_auto_failover formation on loopback: a monitor and two nodes with synchronous replication. */
export interface Formation {
  readonly nodes: readonly FailoverNode[];
  /** libpq's multi-host URL of the formation, as `pg_autoctl show uri` gives it (without TLS). */
  readonly url: string;
  /** Each node's reported and assigned state, from the monitor: `node1 primary/primary`. */
  states(): Promise<string[]>;
  /** The node that takes writes now (asked directly: the monitor may not know yet). */
  primary(): Promise<FailoverNode>;
  /** Waits until the monitor reports `wanted` (node name → state) as reported and assigned. */
  waitFor(wanted: Record<string, string>, timeoutMs?: number): Promise<void>;
  /** SIGKILLs a node's keeper and PostgreSQL at once, as a machine that is lost. */
  kill(node: FailoverNode): void;
  /** Stops whatever still runs and removes the files. */
  destroy(): Promise<void>;
}

/**
 * Monitor settings that make a lost primary cost seconds instead of the
 * defaults' 20 s to find it unhealthy and 30 s to wait for its demotion. The
 * demotion wait may be short only because each node gives up being primary
 * by itself after `network_partition_timeout` (1 s here) without the monitor
 * and its standby, and because synchronous replication keeps a cut-off
 * primary from acknowledging writes.
 */
const monitorSettings: Record<string, number> = {
  "pgautofailover.health_check_period": 1000,
  "pgautofailover.health_check_timeout": 1000,
  "pgautofailover.health_check_max_retries": 1,
  "pgautofailover.health_check_retry_delay": 200,
  "pgautofailover.node_considered_unhealthy_timeout": 1000,
  "pgautofailover.primary_demote_timeout": 2000,
};

/**
 * Starts a formation with Debian's pg_autoctl (pg-auto-failover-cli and
 * postgresql-15-auto-failover): a monitor, then `node1` (which becomes the
 * primary) and `node2` (its synchronous standby, cloned by pg_basebackup),
 * each on a free loopback port with database `database`, and waits until
 * the monitor reports primary and secondary.
 */
export async function startFormation(database: string): Promise<Formation> {
  const directory = await postgresDirectory("learnerstate-failover-");
  // pg_autoctl keeps its configuration and state under the XDG directories.
  const env = { XDG_CONFIG_HOME: path.join(directory, "config"), XDG_DATA_HOME: path.join(directory, "data"), XDG_RUNTIME_DIR: path.join(directory, "run") };
  const autoctl = (...args: string[]) => runAsPostgres("pg_autoctl", args, env);
  const keepers = new Map<string, ChildProcess>();
  const output: string[] = [];
  const runKeeper = (name: string) => {
    const [command, args] = asPostgres("pg_autoctl", ["run", "--pgdata", path.join(directory, name)]);
    // A process group of its own, so that the keeper, its services and PostgreSQL go together.
    const child = spawn(command, args, { env: { ...process.env, ...env }, cwd: directory, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [child.stdout!, child.stderr!]) stream.on("data", (chunk: Buffer) => output.push(`${name}: ${chunk.toString()}`));
    keepers.set(name, child);
  };
  const pgctl = path.join(postgresBin, "pg_ctl");

  const monitorPort = await freeLoopbackPort();
  const monitorUrl = `postgres://postgres@127.0.0.1:${monitorPort}/pg_auto_failover`;
  const onMonitor = async <Row extends object>(sql: string): Promise<Row[]> => {
    const client = new pg.Client({ connectionString: monitorUrl, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      return (await client.query<Row>(sql)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const states = async () =>
    (await onMonitor<{ nodename: string; reportedstate: string; goalstate: string }>("select nodename, reportedstate::text, goalstate::text from pgautofailover.node order by nodeid")).map(
      (row) => `${row.nodename} ${row.reportedstate}/${row.goalstate}`,
    );
  const waitFor = async (wanted: Record<string, string>, timeoutMs = 60_000) => {
    const expected = Object.entries(wanted).map(([name, state]) => `${name} ${state}/${state}`);
    for (const started = Date.now(); ; await sleep(200)) {
      const now = await states().catch((): string[] => []);
      if (expected.every((state) => now.includes(state))) return;
      if (Date.now() - started > timeoutMs) throw new Error(`pg_auto_failover: wanted ${expected.join(", ")}, have ${now.join(", ")}\n${output.join("")}`);
    }
  };

  await autoctl("create", "monitor", "--pgdata", path.join(directory, "monitor"), "--pgport", String(monitorPort), "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl", "--pgctl", pgctl);
  await autoctl("config", "set", "--pgdata", path.join(directory, "monitor"), "postgresql.listen_addresses", "127.0.0.1");
  runKeeper("monitor");
  for (const started = Date.now(); !(await onMonitor("select 1").then(() => true, () => false)); await sleep(200)) {
    if (Date.now() - started > 30_000) throw new Error(`the pg_auto_failover monitor did not start:\n${output.join("")}`);
  }
  for (const [name, value] of Object.entries(monitorSettings)) await onMonitor(`alter system set ${name} = ${value}`);
  await onMonitor("select pg_reload_conf()");

  const nodes: FailoverNode[] = [];
  for (const name of ["node1", "node2"]) {
    const port = await freeLoopbackPort();
    await autoctl(
      "create", "postgres", "--pgdata", path.join(directory, name), "--pgport", String(port), "--listen", "127.0.0.1", "--hostname", "127.0.0.1",
      "--name", name, "--dbname", database, "--auth", "trust", "--no-ssl", "--pgctl", pgctl,
      "--monitor", `postgres://autoctl_node@127.0.0.1:${monitorPort}/pg_auto_failover?sslmode=disable`,
    );
    await autoctl("config", "set", "--pgdata", path.join(directory, name), "timeout.network_partition_timeout", "1");
    runKeeper(name);
    nodes.push({ name, port, url: () => `postgres://postgres@127.0.0.1:${port}/${database}` });
    await waitFor(name === "node1" ? { node1: "single" } : { node1: "primary", node2: "secondary" });
  }

  return {
    nodes,
    url: `postgres://postgres@${nodes.map((node) => `127.0.0.1:${node.port}`).join(",")}/${database}?target_session_attrs=read-write`,
    states,
    async primary() {
      for (const node of nodes) {
        const client = new pg.Client({ connectionString: node.url(), connectionTimeoutMillis: 2000 });
        const writable = await client.connect().then(
          async () => (await client.query<{ writable: boolean }>("select current_setting('transaction_read_only') = 'off' as writable")).rows[0]?.writable === true,
          () => false,
        );
        await client.end().catch(() => undefined);
        if (writable) return node;
      }
      throw new Error(`no node takes writes: ${(await states()).join(", ")}`);
    },
    waitFor,
    kill(node) {
      const keeper = keepers.get(node.name)!;
      process.kill(-keeper.pid!, "SIGKILL");
      keepers.delete(node.name);
    },
    async destroy() {
      // Nodes first, then the monitor, each stopped by its keeper.
      for (const name of ["node2", "node1", "monitor"]) {
        const keeper = keepers.get(name);
        if (keeper === undefined || keeper.exitCode !== null) continue;
        const exited = new Promise((resolve) => keeper.once("exit", resolve));
        process.kill(-keeper.pid!, "SIGTERM");
        await Promise.race([exited, sleep(20_000)]);
      }
      // PostgreSQL processes a keeper left behind (a killed node's, say) still work in its directory.
      for (const entry of await readdir("/proc")) {
        if (!/^\d+$/u.test(entry)) continue;
        const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => "");
        if (cwd.startsWith(directory)) process.kill(Number(entry), "SIGKILL");
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

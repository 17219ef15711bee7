import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freeLoopbackPort } from "../../../src/server/free-loopback-port.js";

/** A learnerstate replica as HAProxy sees it: its gRPC port and the HTTP port of its /readyz. */
export interface Backend {
  readonly name: string;
  readonly port: number;
  readonly metricsPort: number;
}

/** One server line of `show stat`: the figures the tests read. */
export interface ServerStats {
  readonly name: string;
  /** "UP", "DOWN", "MAINT", or a transition such as "UP 1/2". */
  readonly status: string;
  /** Requests (HTTP/2 streams) sent to it since HAProxy started. */
  readonly sessions: number;
  /** Times HAProxy tried a request on it again (connection refused, say). */
  readonly retries: number;
  /** Times a request meant for it went to another server. */
  readonly redispatches: number;
}

/** A running HAProxy with one h2c frontend in front of learnerstate replicas. */
export interface HaProxy {
  /** The frontend clients call: `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  /** Its log lines so far (one per request, or per connection in "tcp" mode). */
  readonly log: readonly string[];
  /** `show stat` for the replicas' backend, one entry per server. */
  stats(): Promise<ServerStats[]>;
  /** Resolves once every server named in `names` reports `status` (checked every 50 ms), or rejects after `timeoutMs`. */
  waitFor(names: readonly string[], status: "UP" | "DOWN", timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@link startHaProxy}. */
export interface HaProxyOptions {
  /**
   * "http": HTTP/2 to the client and to each replica, one balancing decision
   * per call. "tcp": connections are passed through whole, as an L4 balancer
   * or a Kubernetes Service does, so a client stays on one replica for as
   * long as its connection lives.
   */
  readonly mode: "http" | "tcp";
  /** How often /readyz is checked; default 250 ms. */
  readonly checkIntervalMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The configuration the scale-out guide (docs/scale-out.md) recommends, with
 * the test's ports. In "http" mode, a replica is taken out when /readyz
 * answers anything but 200 twice (checked every 250 ms by default, over HTTP/1.1 on its
 * metrics port); a request whose connection is refused (a replica that has stopped
 * listening) is sent again, to another replica. A server's `check` only
 * counts in "tcp" mode too, where the connection, not the call, is balanced.
 */
export function haproxyConfig(frontendPort: number, backends: readonly Backend[], adminSocket: string, options: HaProxyOptions): string {
  const http = options.mode === "http";
  return [
    "global",
    `  stats socket ${adminSocket} mode 600 level admin`,
    "  log stdout format raw local0",
    "defaults",
    `  mode ${options.mode}`,
    "  log global",
    `  option ${options.mode === "http" ? "httplog" : "tcplog"}`,
    "  timeout connect 1s",
    // A replica busy with calls may take a while to answer its probe: that is no reason to take it out.
    "  timeout check 2s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  retries 3",
    "  option redispatch 1",
    ...(http ? ["  retry-on conn-failure empty-response"] : []),
    "frontend grpc",
    `  bind 127.0.0.1:${frontendPort}${http ? " proto h2" : ""}`,
    "  default_backend replicas",
    "backend replicas",
    "  balance roundrobin",
    "  option httpchk",
    "  http-check send meth GET uri /readyz",
    "  http-check expect status 200",
    ...backends.map(
      (backend) =>
        `  server ${backend.name} 127.0.0.1:${backend.port}${http ? " proto h2" : ""} check port ${backend.metricsPort} check-proto h1 inter ${options.checkIntervalMs ?? 250} fall 2 rise 2`,
    ),
    "",
  ].join("\n");
}

/** Sends one command to HAProxy's admin socket and returns its answer. */
function adminCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (answer += chunk));
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
    socket.write(`${command}\n`);
  });
}

/** Reads `show stat` CSV into the backend's server lines. */
function parseStats(csv: string): ServerStats[] {
  const [header = "", ...lines] = csv.trim().split("\n");
  const columns = header.replace(/^# /u, "").split(",");
  const column = (row: string[], name: string) => row[columns.indexOf(name)] ?? "";
  return lines
    .map((line) => line.split(","))
    .filter((row) => column(row, "pxname") === "replicas" && !["FRONTEND", "BACKEND"].includes(column(row, "svname")))
    .map((row) => ({
      name: column(row, "svname"),
      status: column(row, "status"),
      sessions: Number(column(row, "stot")),
      retries: Number(column(row, "wretr")),
      redispatches: Number(column(row, "wredis")),
    }));
}

/** Starts Debian's haproxy in the foreground with {@link haproxyConfig}, on a free loopback port. */
export async function startHaProxy(backends: readonly Backend[], options: HaProxyOptions): Promise<HaProxy> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "learnerstate-haproxy-"));
  const adminSocket = path.join(directory, "admin.sock");
  const port = await freeLoopbackPort();
  const configPath = path.join(directory, "haproxy.cfg");
  await writeFile(configPath, haproxyConfig(port, backends, adminSocket, options));
  const child = spawn("haproxy", ["-db", "-f", configPath], { stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let spawnError: Error | null = null;
  child.once("error", (error) => (spawnError = error));
  const stats = async () => parseStats(await adminCommand(adminSocket, "show stat"));
  for (let waited = 0; ; waited += 50) {
    if (spawnError !== null) throw new Error("cannot run haproxy: `bash test/cluster/run-tests.sh` installs it", { cause: spawnError });
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${output.join("")}`);
    if (await stats().then(() => true, () => false)) break;
    if (waited > 10_000) throw new Error(`haproxy did not open its admin socket:\n${output.join("")}`);
    await sleep(50);
  }
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    log: output,
    stats,
    async waitFor(names, status, timeoutMs = 30_000) {
      const started = Date.now();
      for (;;) {
        const servers = (await stats()).filter((server) => names.includes(server.name));
        if (servers.length === names.length && servers.every((server) => server.status === status)) return;
        if (Date.now() - started > timeoutMs) throw new Error(`haproxy: ${names.join(", ")} not ${status} within ${timeoutMs} ms: ${JSON.stringify(servers)}`);
        await sleep(50);
      }
    },
    async stop() {
      child.kill("SIGTERM");
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}

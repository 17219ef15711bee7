// The per-call floor: the same pre-encoded KeyService/DescribeKey call sent by
// h2load (C) to minimal servers of each design and to the service itself, in
// one run, with each server's CPU per call read from /proc. It shows what the
// runtime costs per call and how far the service is above it (issue 24).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { toBinary } from "@bufbuild/protobuf";
import { DescribeKeyRequestSchema } from "../gen/learnerstate/v1/key_service_pb.js";
import { freeLoopbackPort } from "../src/server/free-loopback-port.js";
import { startServerProcess } from "../test/support/server-process.js";
import { floorRequest } from "./floor/fixed-answer.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** A server of the floor table, started. */
export interface RunningFloorServer {
  readonly pid: number;
  /** Stops it and resolves once it has exited. */
  stop(): Promise<void>;
}

/** One server of the floor table. */
export interface FloorServer {
  readonly name: string;
  /** Starts it on `port`; resolves once it listens. */
  start(port: number): Promise<RunningFloorServer>;
}

/** What one server did under h2load. */
export interface FloorFigures {
  readonly name: string;
  readonly callsPerSecond: number;
  /** Server CPU (user + system) per call, milliseconds. */
  readonly cpuMsPerCall: number;
  /** One connection, one call at a time: the mean time of a call, milliseconds. */
  readonly serialMsPerCall: number;
  readonly failed: number;
}

const clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** CPU seconds process `pid` has used (user + system). */
function cpuSecondsOf(pid: number): number {
  const stat = execFileSync("cat", [`/proc/${pid}/stat`], { encoding: "utf8" });
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) {
        child.stdout?.off("data", onData);
        child.stderr?.off("data", onData);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${what} exited with ${code} before it listened:\n${output.slice(-2000)}`)));
  });
}

/** A minimal server of bench/floor, bundled with esbuild (as `npm start` runs the service) and run with node. */
function minimalServer(name: string, file: string, directory: string): FloorServer {
  return {
    name,
    async start(port) {
      const bundle = path.join(directory, `${path.basename(file, ".ts")}.mjs`);
      execFileSync(path.join(repoRoot, "node_modules/.bin/esbuild"), [path.join(repoRoot, "bench/floor", file), "--bundle", "--platform=node", "--target=node20", "--format=esm", "--packages=external", `--outfile=${bundle}`, "--log-level=warning"], { cwd: repoRoot });
      const child = spawn(process.execPath, [bundle, String(port)], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
      await waitForLine(child, /listening on/u, name);
      return {
        pid: child.pid!,
        stop: () =>
          new Promise<void>((resolve) => {
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          }),
      };
    },
  };
}

/** Runs h2load and returns its summary figures. */
function h2load(h2loadPath: string, args: readonly string[]): { done: number; failed: number; meanMs: number } {
  const output = execFileSync(h2loadPath, args, { encoding: "utf8" });
  const requests = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/u.exec(output);
  const time = /time for request:\s+(\S+)\s+(\S+)\s+(\S+)/u.exec(output);
  if (requests === null || time === null) throw new Error(`h2load printed no summary:\n${output.slice(-1000)}`);
  const ms = (text: string) => (text.endsWith("us") ? Number.parseFloat(text) / 1000 : text.endsWith("ms") ? Number.parseFloat(text) : Number.parseFloat(text) * 1000);
  return { done: Number(requests[1]), failed: Number(requests[3]) + Number(requests[4]), meanMs: ms(time[3]!) };
}

/**
 * Measures `servers`, all running at once on free loopback ports (an idle
 * server costs nothing): a warm-up of each (V8 needs several seconds to
 * optimise the service's code), then `rounds` rounds in which each in turn
 * gets `seconds` of `connections` connections with one call in flight each,
 * then `serialCalls` calls in series on one connection. This machine's speed
 * drifts by tens of per cent within a minute (a shared host), so the sides
 * take turns and the median of the rounds is reported.
 */
export async function measureFloor(
  h2loadPath: string,
  servers: readonly FloorServer[],
  options: { readonly warmupSeconds: number; readonly rounds: number; readonly seconds: number; readonly connections: number; readonly serialCalls: number },
): Promise<FloorFigures[]> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "learnerstate-floor-"));
  const running: RunningFloorServer[] = [];
  try {
    const body = toBinary(DescribeKeyRequestSchema, floorRequest);
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    frame.set(body, 5);
    const bodyFile = path.join(directory, "describe-key.bin");
    await writeFile(bodyFile, frame);
    const ports: number[] = [];
    for (const server of servers) {
      const port = await freeLoopbackPort();
      ports.push(port);
      running.push(await server.start(port));
    }
    const argsFor = (index: number) => ["-d", bodyFile, "-H", "content-type: application/grpc", "-H", "te: trailers", `http://127.0.0.1:${ports[index]}/learnerstate.v1.KeyService/DescribeKey`];
    for (const index of servers.keys()) h2load(h2loadPath, ["-D", String(options.warmupSeconds), "-c", String(options.connections), "-m", "1", ...argsFor(index)]);
    const rounds = servers.map(() => ({ rates: [] as number[], cpu: [] as number[], failed: 0 }));
    for (let round = 0; round < options.rounds; round += 1) {
      for (const [index, server] of running.entries()) {
        const before = cpuSecondsOf(server.pid);
        const loaded = h2load(h2loadPath, ["-D", String(options.seconds), "-c", String(options.connections), "-m", "1", ...argsFor(index)]);
        const cpu = cpuSecondsOf(server.pid) - before;
        rounds[index]!.rates.push(loaded.done / options.seconds);
        rounds[index]!.cpu.push((cpu * 1000) / loaded.done);
        rounds[index]!.failed += loaded.failed;
      }
    }
    return servers.map((server, index) => {
      const serial = h2load(h2loadPath, ["-n", String(options.serialCalls), "-c", "1", "-m", "1", ...argsFor(index)]);
      const measured = rounds[index]!;
      return { name: server.name, callsPerSecond: median(measured.rates), cpuMsPerCall: median(measured.cpu), serialMsPerCall: serial.meanMs, failed: measured.failed + serial.failed };
    });
  } finally {
    await Promise.all(running.map((server) => server.stop()));
    await rm(directory, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The minimal servers of the floor table, built into `dist/floor` (beside node_modules, where their imports resolve). */
export function minimalServers(directory = path.join(repoRoot, "dist", "floor")): FloorServer[] {
  return [
    minimalServer("node:http2 stream API, fixed gRPC answer", "http2-fixed.ts", directory),
    minimalServer("@grpc/grpc-js, trivial handler (raw bytes)", "grpc-js-trivial.ts", directory),
    minimalServer("connect-node, trivial handler, no interceptors", "connect-trivial.ts", directory),
  ];
}

/**
 * The service itself as `npm start` runs it (the bundle built by `npm run
 * build`), against `databaseUrl`, with `env` on top (GRPC_PATH chooses who
 * serves gRPC).
 */
export function serviceServer(name: string, databaseUrl: string, env: Record<string, string> = {}): FloorServer {
  return {
    name,
    async start(port) {
      const server = await startServerProcess({ DATABASE_URL: databaseUrl, PORT: String(port), LOG_LEVEL: "info", ...env });
      return { pid: server.pid, stop: async () => void (await server.stop()) };
    },
  };
}

/** Prints the floor table with each server's CPU per call as a multiple of grpc-js's. */
export function printFloor(figures: readonly FloorFigures[]): void {
  const grpcJs = figures.find((figure) => figure.name.startsWith("@grpc/grpc-js"));
  console.log("\nPer-call floor: KeyService/DescribeKey, the same pre-encoded call from h2load (medians of the rounds)");
  console.log("| server | calls/s | server CPU per call | × grpc-js | one connection, in series | failed |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const figure of figures) {
    const ratio = grpcJs === undefined ? "" : `${(figure.cpuMsPerCall / grpcJs.cpuMsPerCall).toFixed(1)}×`;
    console.log(
      `| ${figure.name} | ${figure.callsPerSecond.toFixed(0)} | ${figure.cpuMsPerCall.toFixed(3)} ms | ${ratio} | ${figure.serialMsPerCall.toFixed(3)} ms | ${figure.failed} |`,
    );
  }
}

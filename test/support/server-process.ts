import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The environment `npm start` sets and the arguments it gives node
 * (package.json's start script is `exec [env NAME=value …] node <arguments>`):
 * the C library's settings, Node's flags and the bundle `npm run build`
 * writes. Read from there so that tests run the server exactly as it ships.
 */
const startCommand = (() => {
  const script = (JSON.parse(readFileSync(`${repoRoot}/package.json`, "utf8")) as { scripts: { start: string } }).scripts.start;
  const match = /^exec (?:env ((?:\w+=\S+ )+))?node (.+)$/u.exec(script);
  if (match === null) throw new Error(`package.json's start script is not "exec [env NAME=value …] node <arguments>": ${script}`);
  const environment = Object.fromEntries([...(match[1] ?? "").matchAll(/(\w+)=(\S+) /gu)].map(([, name, value]) => [name!, value!]));
  return { environment, arguments: match[2]!.split(" ") };
})();

/**
 * Builds the server bundle with `npm run build`, as `npm start` does before
 * it runs it, so that tests and benchmarks exercise what ships.
 */
export function buildServer(): void {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: repoRoot, stdio: "inherit" });
}

/** A learnerstate server running as its own process, started the way `npm start` starts it. */
export interface ServerProcess {
  readonly port: number;
  readonly baseUrl: string;
  /** Where its Prometheus metrics are served. */
  readonly metricsUrl: string;
  readonly pid: number;
  /** Every line it has written to stdout and stderr. */
  readonly output: string[];
  /** Resident memory of the server process, in bytes. */
  rssBytes(): Promise<number>;
  /** Sends `signal` to the server process. */
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit code when the process has exited (null if a signal ended it). */
  readonly exited: Promise<number | null>;
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>;
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** How the server process is launched: its bundle with node, or the README's `npm start` (which builds it first). */
export type Launcher = "bundle" | "npm start";

/**
 * Starts the server bundle (see {@link buildServer}) as `npm start` does, or through `npm start` when
 * `launcher` says so, with `env` (an undefined value removes that variable)
 * on a free port and resolves once it logs that its database is ready (or,
 * with `waitFor` "listening", once it listens). Rejects with its output if it
 * exits first.
 */
export async function startServerProcess(
  env: Record<string, string | undefined>,
  launcher: Launcher = "bundle",
  waitFor: "database ready" | "listening" = "database ready",
): Promise<ServerProcess> {
  // No lame-duck delay unless a test asks for it (pass SHUTDOWN_DELAY_MS: undefined for the default): test clients keep their connections open.
  const merged: Record<string, string | undefined> = { ...process.env, PORT: "0", METRICS_PORT: "0", LOG_LEVEL: "info", SHUTDOWN_DELAY_MS: "0", ...env, ...startCommand.environment };
  const [command, args] = launcher === "bundle" ? [process.execPath, startCommand.arguments] : ["npm", ["start"]];
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  let metricsPort = 0;
  let port = 0;
  await new Promise<void>((resolve, reject) => {
    const onLine = (line: string) => {
      output.push(line);
      try {
        const record = JSON.parse(line) as { port?: number; metricsPort?: number; msg?: string };
        if (record.msg?.startsWith("listening") && typeof record.port === "number") {
          metricsPort = record.metricsPort ?? 0;
          port = record.port;
        }
        if (port !== 0 && (waitFor === "listening" || record.msg?.startsWith("database ready"))) resolve();
      } catch {
        // Not a log record (for example a warning from Node); kept in output.
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let pending = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        lines.forEach(onLine);
      });
    }
    child.once("exit", (code) => reject(new Error(`server exited with ${code} before it was ${waitFor === "listening" ? "listening" : "ready"}:\n${output.join("\n")}`)));
  });
  const exited = waitForExit(child);
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    pid: child.pid!,
    output,
    async rssBytes() {
      const status = await readFile(`/proc/${child.pid}/status`, "utf8");
      const kilobytes = /VmRSS:\s+(\d+) kB/u.exec(status)?.[1];
      return Number(kilobytes) * 1024;
    },
    kill: (signal) => child.kill(signal),
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

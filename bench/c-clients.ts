// The true ceiling: the service loaded by h2load (nghttp2's C load
// generator, speaking gRPC over h2c) against PostgreSQL doing the plain work
// for pgbench and psql (libpq, C), so that neither side's numbers are decided
// by a JavaScript client's CPU. See docs/benchmarks.md.
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { DescribeKeyRequestSchema, KeyFamily, KeyService } from "../gen/learnerstate/v1/key_service_pb.js";
import { StateForm } from "../gen/learnerstate/v1/user_state_pb.js";
import {
  GetHistoryRequestSchema,
  GetManyRequestSchema,
  IterAllForCourseRequestSchema,
  SetManyRequestSchema,
  UserStateService,
} from "../gen/learnerstate/v1/user_state_service_pb.js";
import { trackCpu, type CpuSpent } from "./measure.js";
import { scrapeMetrics, sumOf } from "./metrics-scrape.js";

/** What one side did in one window, as the C tools report it. */
export interface CMeasurement {
  /** Calls (GetMany, SetMany) or streams (IterAll) completed. */
  readonly ops: number;
  /** Blocks read or written, or rows streamed. */
  readonly rows: number;
  /** Calls the tool or the server counted as failed. */
  readonly errors: number;
  readonly seconds: number;
  /** Mean latency of a call (or a whole stream), weighted by calls. */
  readonly meanLatencyMs: number;
  readonly cpu: CpuSpent;
}

/** Adds up the windows of one side. */
export function combineCMeasurements(parts: readonly CMeasurement[]): CMeasurement {
  const sum = (value: (part: CMeasurement) => number) => parts.reduce((total, part) => total + value(part), 0);
  const ops = sum((part) => part.ops);
  return {
    ops,
    rows: sum((part) => part.rows),
    errors: sum((part) => part.errors),
    seconds: sum((part) => part.seconds),
    meanLatencyMs: ops === 0 ? Number.NaN : sum((part) => part.meanLatencyMs * part.ops) / ops,
    cpu: {
      server: sum((part) => part.cpu.server),
      bench: sum((part) => part.cpu.bench),
      postgres: sum((part) => part.cpu.postgres),
      machine: sum((part) => part.cpu.machine),
    },
  };
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// ---------------------------------------------------------------------------
// The tools

const pgbenchCandidates = ["/usr/bin/pgbench", ...["17", "16", "15", "14"].map((version) => `/usr/lib/postgresql/${version}/bin/pgbench`)];

/** Where the tools are. */
export interface CTools {
  readonly h2load: string;
  readonly pgbench: string;
  readonly psql: string;
}

function which(command: string): string | null {
  try {
    return execFileSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * Finds h2load, pgbench and psql, installing Debian's nghttp2-client (h2load)
 * when it is missing; pgbench and psql come with PostgreSQL's Debian packages
 * (postgresql-client installs them when the server's are not here). Throws
 * with what to install when that fails.
 */
export function ensureCTools(): CTools {
  const missing: string[] = [];
  if (which("h2load") === null) missing.push("nghttp2-client");
  if (which("psql") === null || !pgbenchCandidates.some((candidate) => existsSync(candidate))) missing.push("postgresql-client");
  if (missing.length > 0) {
    const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
    const install = [...sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "--no-install-recommends", ...missing];
    console.log(`installing ${missing.join(", ")} for the C-client comparison: ${install.join(" ")}`);
    try {
      execFileSync(install[0]!, install.slice(1), { stdio: "inherit" });
    } catch {
      execFileSync(sudo.length > 0 ? "sudo" : "apt-get", [...(sudo.length > 0 ? ["apt-get"] : []), "update", "-q"], { stdio: "inherit" });
      execFileSync(install[0]!, install.slice(1), { stdio: "inherit" });
    }
  }
  const h2load = which("h2load");
  const psql = which("psql");
  const pgbench = pgbenchCandidates.find((candidate) => existsSync(candidate)) ?? null;
  if (h2load === null || psql === null || pgbench === null) throw new Error("h2load, pgbench and psql are needed (apt-get install nghttp2-client postgresql-client)");
  return { h2load, pgbench, psql };
}

/** Runs `command` to its end and resolves with its stdout; rejects with its stderr when it fails. */
export function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${path.basename(command)} exited with ${code}: ${stderr.slice(-2000)}`))));
  });
}

/** Measures `work` between two CPU readings (the server's, this process's, PostgreSQL's, the machine's). */
async function withCpu<T>(serverPid: number | null, work: () => Promise<T>): Promise<{ value: T; cpu: CpuSpent; seconds: number }> {
  const cpu = trackCpu(serverPid);
  const started = performance.now();
  const value = await work();
  const seconds = (performance.now() - started) / 1000;
  return { value, cpu: cpu.stop(), seconds };
}

// ---------------------------------------------------------------------------
// The service's side: h2load

/** A gRPC request body: the 5-byte frame header (not compressed, length) and the message. */
export function grpcBody<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): Buffer {
  const message = toBinary(schema, create(schema, init));
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** Failed calls and streamed rows of `method` so far, from the server's /metrics. */
async function serverCounts(metricsUrl: string, method: string): Promise<{ errors: number; rowsStreamed: number }> {
  const samples = await scrapeMetrics(metricsUrl);
  const label = `method="${method}"`;
  // h2load ends its runs by resetting the call in flight: a cancellation, not a failure.
  const errors = sumOf(samples, "learnerstate_rpc_errors_total", label) - sumOf(samples, "learnerstate_rpc_errors_total", label, 'code="Canceled"');
  return { errors, rowsStreamed: sumOf(samples, "learnerstate_rows_streamed_total", label) };
}

/** What one h2load process reported. */
export interface H2loadReport {
  readonly done: number;
  readonly failed: number;
  readonly meanMs: number;
}

export function parseH2load(output: string): H2loadReport {
  const requests = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/u.exec(output);
  const time = /time for request:\s+(\S+)\s+(\S+)\s+(\S+)/u.exec(output);
  if (requests === null || time === null) {
    // Seen on an overloaded machine: h2load ends a window in which its one call never finished without a summary.
    console.warn(`h2load printed no summary; counted as one failed call:\n${output.slice(-500)}`);
    return { done: 0, failed: 1, meanMs: 0 };
  }
  const milliseconds = (text: string) => (text.endsWith("us") ? Number.parseFloat(text) / 1000 : text.endsWith("ms") ? Number.parseFloat(text) : Number.parseFloat(text) * 1000);
  return { done: Number(requests[2]), failed: Number(requests[3]) + Number(requests[4]), meanMs: milliseconds(time[3]!) };
}

/** Where the service is and how to reach it. */
export interface ServiceTarget {
  readonly baseUrl: string;
  readonly metricsUrl: string;
  readonly pid: number;
}

/**
 * Runs one h2load process per body (each one client with one call in flight,
 * as `bodies.length` independent callers), for `seconds` (or `requests`
 * calls each), against `method` of UserStateService.
 */
async function h2load(
  tools: CTools,
  directory: string,
  target: ServiceTarget,
  service: string,
  method: string,
  bodies: readonly Buffer[],
  limit: { seconds: number } | { requests: number },
) {
  const files = await Promise.all(
    bodies.map(async (body, index) => {
      const file = path.join(directory, `${method}-${index}.bin`);
      await writeFile(file, body);
      return file;
    }),
  );
  const url = `${target.baseUrl}/${service}/${method}`;
  const bound = "seconds" in limit ? ["-D", String(limit.seconds)] : ["-n", String(limit.requests)];
  const reports = await Promise.all(
    files.map((file) => run(tools.h2load, [...bound, "-c", "1", "-m", "1", "-d", file, "-H", "content-type: application/grpc", "-H", "te: trailers", url])),
  );
  return reports.map(parseH2load);
}

// ---------------------------------------------------------------------------
// The scenarios

/** The data set and load of the comparison. */
export interface CComparisonOptions {
  readonly tools: CTools;
  readonly target: ServiceTarget;
  /** A libpq URL of the benchmark's database. */
  readonly databaseUrl: string;
  readonly concurrency: number;
  readonly warmupSeconds: number;
  readonly windowSeconds: number;
  readonly users: number;
  readonly username: (index: number) => string;
  readonly courseKeys: readonly string[];
  /** Per course, the usage keys of its problems. */
  readonly problemKeys: readonly (readonly string[])[];
  readonly getManyBlocks: number;
  readonly setManyBlocks: number;
  /** The fields a capa submission writes to problem `index` of course `course` (JSON texts). */
  readonly submission: (course: number, index: number) => Record<string, string>;
  /** Concurrent IterAllForCourse streams, each reading a whole course. */
  readonly streams: number;
  /** The learner and block whose history has {@link historyEntries} entries (see ensureLongHistory). */
  readonly history: { readonly username: string; readonly blockKey: string; readonly entries: number };
}

/** The measured window of one side of one scenario. */
export type CSide = (options: CComparisonOptions, directory: string) => Promise<CMeasurement>;

/** A learner of caller `caller`'s own: no two of the `concurrency` callers write the same rows. */
const callerUser = (options: CComparisonOptions, caller: number, draw: number) =>
  options.username(caller + options.concurrency * (draw % Math.max(1, Math.floor(options.users / options.concurrency))));

async function serviceCalls(options: CComparisonOptions, directory: string, service: string, method: string, bodies: Buffer[], rowsPerCall: number): Promise<CMeasurement> {
  const { tools, target } = options;
  if (options.warmupSeconds > 0) await h2load(tools, directory, target, service, method, bodies, { seconds: options.warmupSeconds });
  const errorsBefore = (await serverCounts(target.metricsUrl, method)).errors;
  const measured = await withCpu(target.pid, () => h2load(tools, directory, target, service, method, bodies, { seconds: options.windowSeconds }));
  const serverErrors = (await serverCounts(target.metricsUrl, method)).errors - errorsBefore;
  const done = measured.value.reduce((total, report) => total + report.done, 0);
  const failed = measured.value.reduce((total, report) => total + report.failed, 0);
  const ops = done - serverErrors;
  return {
    ops,
    rows: ops * rowsPerCall,
    errors: failed + serverErrors,
    seconds: options.windowSeconds,
    meanLatencyMs: measured.value.reduce((total, report) => total + report.meanMs * report.done, 0) / Math.max(1, done),
    cpu: measured.cpu,
  };
}

/**
 * DescribeKey, which needs no database: the server's fixed cost of one unary
 * call (HTTP/2, Connect, interceptors), against which the other calls'
 * figures can be read.
 */
export const serviceDescribeKey: CSide = (options, directory) => {
  const bodies = Array.from({ length: options.concurrency }, () => grpcBody(DescribeKeyRequestSchema, { key: options.courseKeys[0]!, family: KeyFamily.COURSE }));
  return serviceCalls(options, directory, KeyService.typeName, "DescribeKey", bodies, 0);
};

/** GetMany of every problem of a course, one learner per caller (h2load sends one body over and over). */
export const serviceGetMany: CSide = (options, directory) => {
  const bodies = Array.from({ length: options.concurrency }, (_, caller) =>
    grpcBody(GetManyRequestSchema, { username: callerUser(options, caller, caller * 7), blockKeys: [...options.problemKeys[caller % options.courseKeys.length]!] }),
  );
  return serviceCalls(options, directory, UserStateService.typeName, "GetMany", bodies, options.getManyBlocks);
};

/** {@link serviceGetMany} with each state as one JSON object text (STATE_FORM_JSON_OBJECT), the form closest to the plain select. */
export const serviceGetManyJson: CSide = (options, directory) => {
  const bodies = Array.from({ length: options.concurrency }, (_, caller) =>
    grpcBody(GetManyRequestSchema, {
      username: callerUser(options, caller, caller * 7),
      blockKeys: [...options.problemKeys[caller % options.courseKeys.length]!],
      stateForm: StateForm.JSON_OBJECT,
    }),
  );
  return serviceCalls(options, directory, UserStateService.typeName, "GetMany", bodies, options.getManyBlocks);
};

/** SetMany of 10 problems' submissions, each caller writing a learner of its own. */
export const serviceSetMany: CSide = (options, directory) => {
  const bodies = Array.from({ length: options.concurrency }, (_, caller) => {
    const course = caller % options.courseKeys.length;
    const updates = Array.from({ length: options.setManyBlocks }, (_, index) => ({ blockKey: options.problemKeys[course]![index]!, fields: options.submission(course, index) }));
    return grpcBody(SetManyRequestSchema, { username: callerUser(options, caller, caller * 13 + 1), updates });
  });
  return serviceCalls(options, directory, UserStateService.typeName, "SetMany", bodies, options.setManyBlocks);
};

/** `streams` IterAllForCourse calls at once, each reading a whole course in pages of 1,000, its states in `stateForm`. */
const iterAllIn = (stateForm: StateForm): CSide => async (options, directory) => {
  const { tools, target } = options;
  const bodies = Array.from({ length: options.streams }, (_, stream) =>
    grpcBody(IterAllForCourseRequestSchema, { courseKey: options.courseKeys[stream % options.courseKeys.length]!, batchSize: 1000, stateForm }),
  );
  const before = await serverCounts(target.metricsUrl, "IterAllForCourse");
  const measured = await withCpu(target.pid, () => h2load(tools, directory, target, UserStateService.typeName, "IterAllForCourse", bodies, { requests: 1 }));
  const after = await serverCounts(target.metricsUrl, "IterAllForCourse");
  const failed = measured.value.reduce((total, report) => total + report.failed, 0) + (after.errors - before.errors);
  return {
    ops: options.streams - failed,
    rows: after.rowsStreamed - before.rowsStreamed,
    errors: failed,
    seconds: measured.seconds,
    meanLatencyMs: measured.value.reduce((total, report) => total + report.meanMs, 0) / measured.value.length,
    cpu: measured.cpu,
  };
};

/** IterAllForCourse with each state as its fields. */
export const serviceIterAll = iterAllIn(StateForm.FIELDS);
/** IterAllForCourse with each state as one JSON object text. */
export const serviceIterAllJson = iterAllIn(StateForm.JSON_OBJECT);

// PostgreSQL's side: the plain statements, no per-field splitting, no
// field times. `:learner` is picked per transaction among the client's own.

const learnerOfClient = (options: CComparisonOptions) => [
  `\\set draw random(0, ${Math.max(1, Math.floor(options.users / options.concurrency)) - 1})`,
  `\\set learner :client_id + ${options.concurrency} * :draw`,
];

async function pgbench(options: CComparisonOptions, directory: string, name: string, script: string, variables: Record<string, string>, seconds: number) {
  const file = path.join(directory, `${name}.sql`);
  await writeFile(file, script);
  const defines = Object.entries(variables).flatMap(([key, value]) => ["-D", `${key}=${value}`]);
  const threads = String(Math.min(options.concurrency, os.availableParallelism()));
  const output = await run(options.tools.pgbench, ["-n", "-M", "prepared", "-c", String(options.concurrency), "-j", threads, "-T", String(seconds), ...defines, "-f", file, options.databaseUrl]);
  const processed = /number of transactions actually processed: (\d+)/u.exec(output);
  const failed = /number of failed transactions: (\d+)/u.exec(output);
  const latency = /latency average = ([\d.]+) ms/u.exec(output);
  if (processed === null || latency === null) throw new Error(`unexpected pgbench output:\n${output}`);
  return { transactions: Number(processed[1]), failed: failed === null ? 0 : Number(failed[1]), meanMs: Number(latency[1]) };
}

async function rawCalls(options: CComparisonOptions, directory: string, name: string, script: string, variables: Record<string, string>, rowsPerCall: number): Promise<CMeasurement> {
  if (options.warmupSeconds > 0) await pgbench(options, directory, name, script, variables, Math.max(1, Math.round(options.warmupSeconds)));
  const measured = await withCpu(null, () => pgbench(options, directory, name, script, variables, options.windowSeconds));
  return {
    ops: measured.value.transactions,
    rows: measured.value.transactions * rowsPerCall,
    errors: measured.value.failed,
    seconds: options.windowSeconds,
    meanLatencyMs: measured.value.meanMs,
    cpu: measured.cpu,
  };
}

const textArray = (values: readonly string[]) => `{${values.map((value) => `"${value}"`).join(",")}}`;

/** `select usage_key, state` of the 100 problems of one course for one learner. */
export const rawGetMany: CSide = (options, directory) => {
  const script = [
    `\\set learner random(0, ${options.users - 1})`,
    `\\set course random(0, ${options.courseKeys.length - 1})`,
    ...options.courseKeys.map(
      (_, course) =>
        `${course === 0 ? "\\if" : "\\elif"} :course = ${course}\n` +
        `select usage_key, state from user_state where username = 'learner' || lpad(:learner::text, 5, '0') and scope = 'user_state' and usage_key = any(:keys${course}::text[]);`,
    ),
    "\\endif",
    "",
  ].join("\n");
  const variables = Object.fromEntries(options.problemKeys.map((keys, course) => [`keys${course}`, textArray(keys.slice(0, options.getManyBlocks))]));
  return rawCalls(options, directory, "get-many", script, variables, options.getManyBlocks);
};

/** One statement: upsert-merge of 10 blocks and their history rows. */
export const rawSetMany: CSide = (options, directory) => {
  const blocks = Array.from({ length: options.setManyBlocks }, (_, index) => ({
    usage_key: options.problemKeys[0]![index]!,
    state: Object.fromEntries(Object.entries(options.submission(0, index)).map(([name, text]) => [name, JSON.parse(text) as unknown])),
  }));
  const script = [
    ...learnerOfClient(options),
    "with input as (select * from jsonb_to_recordset(:blocks::jsonb) as i(usage_key text, state jsonb)),",
    "written as (",
    "  insert into user_state as s (username, usage_key, scope, context_key, block_type, state, field_modified)",
    `  select 'learner' || lpad(:learner::text, 5, '0'), i.usage_key, 'user_state', :context, 'problem', i.state, '{}'::jsonb from input i`,
    "  on conflict (username, usage_key, scope) do update set state = s.state || excluded.state, modified = now()",
    "  returning s.username, s.usage_key, s.state, s.modified)",
    "insert into user_state_history (username, usage_key, scope, state, modified) select username, usage_key, 'user_state', state, modified from written;",
    "",
  ].join("\n");
  return rawCalls(options, directory, "set-many", script, { blocks: JSON.stringify(blocks), context: options.courseKeys[0]! }, options.setManyBlocks);
};

/** `streams` psql processes at once, each COPYing a whole course's current states out. */
export const rawCopyIterAll: CSide = async (options) => {
  const measured = await withCpu(null, () =>
    Promise.all(
      Array.from({ length: options.streams }, (_, stream) => {
        const course = options.courseKeys[stream % options.courseKeys.length]!.replaceAll("'", "''");
        const copy = `\\copy (select username, usage_key, modified, state from user_state where scope = 'user_state' and context_key = '${course}' order by id) to '/dev/null'`;
        return run(options.tools.psql, ["-X", "-v", "ON_ERROR_STOP=1", "-d", options.databaseUrl, "-c", copy]);
      }),
    ),
  );
  const rows = measured.value.reduce((total, output) => total + Number(/COPY (\d+)/u.exec(output)?.[1] ?? 0), 0);
  return { ops: options.streams, rows, errors: 0, seconds: measured.seconds, meanLatencyMs: measured.seconds * 1000, cpu: measured.cpu };
};

/** GetHistory of the long history in `stateForm` and messages of 1,000 entries (as IterAll's), `streams` callers at once, each reading it whole over and over. */
const getHistoryIn =
  (stateForm: StateForm): CSide =>
  (options, directory) => {
    const body = grpcBody(GetHistoryRequestSchema, { username: options.history.username, blockKey: options.history.blockKey, stateForm, batchSize: 1000 });
    return serviceCalls({ ...options, warmupSeconds: Math.min(options.warmupSeconds, 1) }, directory, UserStateService.typeName, "GetHistory", Array.from({ length: options.streams }, () => body), options.history.entries);
  };

/** GetHistory with each snapshot as its fields. */
export const serviceGetHistory = getHistoryIn(StateForm.FIELDS);
/** {@link serviceGetHistory} with each snapshot as one JSON object text, as `psql \copy` writes the state. */
export const serviceGetHistoryJson = getHistoryIn(StateForm.JSON_OBJECT);

/** `streams` psql processes at once, each COPYing the long history out over and over for the window. */
export const rawCopyHistory: CSide = async (options, directory) => {
  const { username, blockKey } = options.history;
  const copy = `\\copy (select id, modified, state from user_state_history where username = '${username.replaceAll("'", "''")}' and usage_key = '${blockKey.replaceAll("'", "''")}' and scope = 'user_state' order by id desc) to '/dev/null'`;
  // One process copies it repeatedly, as the service's callers call repeatedly: enough times to fill the window at COPY speed.
  const repeats = Math.max(1, Math.round((options.windowSeconds * 400_000) / options.history.entries / options.streams));
  const script = path.join(directory, "copy-history.sql");
  await writeFile(script, `${Array.from({ length: repeats }, () => copy).join("\n")}\n`);
  const measured = await withCpu(null, () =>
    Promise.all(Array.from({ length: options.streams }, () => run(options.tools.psql, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", options.databaseUrl, "-f", script]))),
  );
  const calls = options.streams * repeats;
  return { ops: calls, rows: calls * options.history.entries, errors: 0, seconds: measured.seconds, meanLatencyMs: (measured.seconds * 1000 * options.streams) / calls, cpu: measured.cpu };
};

/**
 * `npx learnerstate export` (the built bin, with node) of one whole course to
 * a JSON Lines file, as an operator runs it.
 */
export const serviceExport: CSide = async (options, directory) => {
  const bin = path.join(repoRoot, "dist", "lib", "src", "cli", "main.js");
  const out = path.join(directory, "export.jsonl");
  const measured = await withCpu(options.target.pid, () =>
    run(process.execPath, [bin, "export", "--target", options.target.baseUrl.replace(/^http:\/\//u, ""), "--course", options.courseKeys[0]!, "--format", "jsonl", "--out", out]),
  );
  const rows = (await readFile(out, "utf8")).split("\n").length - 1;
  return { ops: 1, rows, errors: 0, seconds: measured.seconds, meanLatencyMs: measured.seconds * 1000, cpu: measured.cpu };
};

/** psql COPYing the same course's current states out, one process. */
export const rawCopyOneCourse: CSide = (options, directory) => rawCopyIterAll({ ...options, streams: 1 }, directory);

/** A scratch directory for request bodies and scripts, removed afterwards. */
export async function withScratchDirectory<T>(work: (directory: string) => Promise<T>): Promise<T> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "learnerstate-bench-c-"));
  try {
    return await work(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

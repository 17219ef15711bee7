// `npm run bench`: loads a realistic data set into a database of its own,
// then measures the service over gRPC against the same SQL sent straight
// through node-postgres, at the same concurrency, and prints both, their
// ratio, the round trips of SetMany and the server's peak RSS. See
// docs/benchmarks.md for what is measured and how.
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import pg from "pg";
import { BlockStructureService } from "../gen/learnerstate/v1/block_structure_service_pb.js";
import { GetManyRequestSchema, IterAllForCourseRequestSchema, SetManyRequestSchema, UserStateService } from "../gen/learnerstate/v1/user_state_service_pb.js";
import { installExactTextEncoding } from "../src/rpc/index.js";
import { splitStateJson } from "../src/domain/state/index.js";
import { startPgProxy, throughProxy } from "../test/support/pg-proxy.js";
import { buildServer, startServerProcess, type ServerProcess } from "../test/support/server-process.js";
import { blockId, courseKey, ensureLongHistory, loadDataset, longHistory, onDatabase, problemKey, recreateDatabase, scope, username, withDatabase, type LoadReport } from "./dataset.js";
import {
  seededRandom,
  combineMeasurements,
  combineStreamMeasurements,
  inRounds,
  percentile,
  RssSampler,
  runStreams,
  runTimed,
  type Measurement,
  type Operation,
  type StreamMeasurement,
  type StreamOperation,
} from "./measure.js";
import {
  combineCMeasurements,
  ensureCTools,
  rawCopyIterAll,
  rawGetMany as rawGetManyC,
  rawSetMany as rawSetManyC,
  serviceDescribeKey,
  serviceGetMany as serviceGetManyC,
  serviceGetManyJson as serviceGetManyJsonC,
  serviceIterAll as serviceIterAllC,
  serviceIterAllJson as serviceIterAllJsonC,
  rawCopyHistory,
  rawCopyOneCourse,
  serviceExport as serviceExportC,
  serviceGetHistory as serviceGetHistoryC,
  serviceGetHistoryJson as serviceGetHistoryJsonC,
  serviceSetMany as serviceSetManyC,
  grpcBody,
  withScratchDirectory,
  type CComparisonOptions,
  type CMeasurement,
  type CSide,
} from "./c-clients.js";
import { publishOutline, rawGetTransformed, serviceGetTransformed } from "./get-transformed.js";
import { measureFloor, minimalServers, printFloor, serviceServer, type FloorFigures } from "./floor.js";
import { formatOverload, measureOverload, type OverloadLevel } from "./overload.js";
import { describeProfile } from "./profile-summary.js";
import { formatWatch, measureWatch, type WatchLevel } from "./watch.js";
import { ensurePythonClient, runPythonGetMany } from "./python-client.js";
import { declareCursorSql, fetchCursorSql, positionedStatesPageSql, readStatesSql, writeStatesSql, type StateRow } from "./sql.js";

// ---------------------------------------------------------------------------
// Configuration

const databaseUrl = process.env["DATABASE_URL"];
if (!databaseUrl) {
  console.error(
    "npm run bench needs DATABASE_URL, a PostgreSQL URL whose role may create databases, for example\n" +
      "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench\n" +
      "It creates (and first drops) its own database beside it, learnerstate_bench unless BENCH_DATABASE says otherwise.",
  );
  process.exit(2);
}

function envNumber(name: string, fallback: number, min: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) {
    console.error(`${name} must be a number of at least ${min}, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return value;
}

const config = {
  database: process.env["BENCH_DATABASE"] || "learnerstate_bench",
  users: Math.floor(envNumber("BENCH_USERS", 5000, 64)),
  courses: ["Course1", "Course2"] as const,
  blocksPerCourse: 100,
  getManyBlocks: 100,
  setManyBlocks: 10,
  concurrency: Math.floor(envNumber("BENCH_CONCURRENCY", 32, 1)),
  poolSize: Math.floor(envNumber("DB_POOL_SIZE", 10, 1)),
  warmupMs: envNumber("BENCH_WARMUP_S", 2, 0) * 1000,
  durationMs: envNumber("BENCH_DURATION_S", 15, 1) * 1000,
  /** Each side's window is split into this many rounds, the sides taking turns. */
  rounds: Math.floor(envNumber("BENCH_ROUNDS", 3, 1)),
  iterRows: Math.floor(envNumber("BENCH_ITER_ROWS", 100_000, 1000)),
  iterBatch: 1000,
  maxStateBytes: 1024 * 1024, // the server's default MAX_STATE_BYTES, bound by SetMany
  /** Keep an already loaded database of the right size instead of loading again. */
  reuseData: process.env["BENCH_REUSE_DATA"] === "1",
  /** Profile the server's main thread per service scenario; a directory, or "1" for a new temporary one. */
  profile: process.env["BENCH_PROFILE"] || "",
  only: new Set((process.env["BENCH_ONLY"] || "getMany,setMany,iterAll,getTransformed,cClients,overload,python,watch,floor").split(",")),
  /** Seconds of each change-feed level (BENCH_WATCH_S). */
  watchSeconds: Math.floor(envNumber("BENCH_WATCH_S", 10, 1)),
  /** Seconds of each overload level (BENCH_OVERLOAD_S). */
  overloadSeconds: Math.floor(envNumber("BENCH_OVERLOAD_S", 8, 1)),
  /** Rounds of the per-call floor table (each server BENCH_FLOOR_S seconds a round). */
  floorRounds: Math.floor(envNumber("BENCH_FLOOR_ROUNDS", 5, 1)),
  floorSeconds: Math.floor(envNumber("BENCH_FLOOR_S", 3, 1)),
  /** Learners GetTransformed picks from, each with a library selection and scores in the 1,020-block course. */
  transformedLearners: 64,
  /** IterAllForCourse streams at once in the C-client comparison, each a whole course. */
  cStreams: Math.floor(envNumber("BENCH_C_STREAMS", 4, 1)),
  /** Scenarios of the C comparison to run, by the start of their names (BENCH_C_ONLY, comma-separated; unset: all). */
  cOnly: (process.env["BENCH_C_ONLY"] || "").split(",").filter((prefix) => prefix !== ""),
  /** Extra NODE_OPTIONS for the server process (for example --max-old-space-size=128). */
  serverNodeOptions: process.env["BENCH_SERVER_NODE_OPTIONS"] || "",
  /** Window of the IterAll runs with one client (0: skip them). */
  singleStreamMs: envNumber("BENCH_SINGLE_STREAM_S", 5, 0) * 1000,
  /** Whether the gRPC clients accept compressed responses, as connect-node clients do by default (BENCH_GZIP=0: they do not). */
  compressedResponses: process.env["BENCH_GZIP"] !== "0",
  /** Also run the raw side of IterAll with the service's own keyset pages. */
  rawKeyset: process.env["BENCH_RAW_KEYSET"] !== "0",
};
/** One round's measured window. */
const roundMs = config.durationMs / config.rounds;
const rowsPerCourse = config.users * config.blocksPerCourse;
if (config.iterRows > rowsPerCourse || config.iterRows % config.iterBatch !== 0) {
  console.error(`BENCH_ITER_ROWS must be a multiple of ${config.iterBatch} of at most ${rowsPerCourse} (the rows of one course)`);
  process.exit(2);
}

installExactTextEncoding(); // as every TypeScript client of the service does (see the README)

const benchUrl = withDatabase(databaseUrl, config.database);
const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const courseKeys = config.courses.map(courseKey);
const problemKeys = config.courses.map((code) => Array.from({ length: config.blocksPerCourse }, (_, index) => problemKey(code, index)));

// ---------------------------------------------------------------------------
// Clients

type ServiceClient = Client<typeof UserStateService>;

/**
 * One gRPC client of `service` with its own HTTP/2 connection, and a way to
 * close it. Like any connect-node client it accepts gzip- and
 * brotli-compressed responses, unless `compressedResponses` is false.
 */
function openClient<S extends DescService>(service: S, baseUrl: string, compressedResponses = true): { client: Client<S>; close: () => void } {
  const sessionManager = new Http2SessionManager(baseUrl);
  const transport = createGrpcTransport({ baseUrl, sessionManager, ...(compressedResponses ? {} : { acceptCompression: [] }) });
  return { client: createClient(service, transport), close: () => sessionManager.abort() };
}

/** A client of UserStateService (see {@link openClient}). */
const openServiceClient = (baseUrl: string, compressedResponses = true) => openClient(UserStateService, baseUrl, compressedResponses);

/** `count` clients of `service`, each on its own connection (as `count` client processes would be). */
function openClients<S extends DescService>(service: S, baseUrl: string, count: number, compressedResponses = true) {
  const opened = Array.from({ length: count }, () => openClient(service, baseUrl, compressedResponses));
  return { clients: opened.map((entry) => entry.client), close: () => opened.forEach((entry) => entry.close()) };
}

/** A pool the size of the server's, with every connection opened up front. */
async function openRawPool(url: string): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: config.poolSize, idleTimeoutMillis: 0, application_name: "learnerstate-bench-raw" });
  const clients = await Promise.all(Array.from({ length: config.poolSize }, () => pool.connect()));
  clients.forEach((client) => client.release());
  return pool;
}

// ---------------------------------------------------------------------------
// The work of each scenario, the same on both sides

const randomInt = (random: () => number, below: number) => Math.floor(random() * below);

/** `count` distinct block indexes of a course, in random order. */
function sampleBlocks(random: () => number, count: number): number[] {
  const indexes = Array.from({ length: config.blocksPerCourse }, (_, index) => index);
  for (let index = 0; index < count; index += 1) {
    const other = index + randomInt(random, indexes.length - index);
    [indexes[index], indexes[other]] = [indexes[other]!, indexes[index]!];
  }
  return indexes.slice(0, count);
}

/** The fields capa writes when a learner submits problem `index`: JSON texts, 350 to 650 bytes in all. */
function capaSubmission(code: string, index: number, random: () => number): Record<string, string> {
  const hex = blockId(code, index);
  const inputs = index % 3 === 0 ? [`${hex}_2_1`, `${hex}_3_1`] : [`${hex}_2_1`];
  const correct = random() < 0.7;
  const correctMap = Object.fromEntries(
    inputs.map((input) => [
      input,
      { correctness: correct ? "correct" : "incorrect", npoints: null, msg: "", hint: "", hintmode: null, queuestate: null, answervariable: null },
    ]),
  );
  const answers = Object.fromEntries(
    inputs.map((input, position) => [input, position === 0 ? `choice_${randomInt(random, 4)}` : ["choice_0", `choice_${1 + randomInt(random, 3)}`]]),
  );
  return {
    attempts: String(1 + randomInt(random, 5)),
    correct_map: JSON.stringify(correctMap),
    student_answers: JSON.stringify(answers),
    input_state: JSON.stringify(Object.fromEntries(inputs.map((input) => [input, {}]))),
    done: "true",
    last_submission_time: JSON.stringify(`${new Date().toISOString().slice(0, 19)}Z`),
    score: JSON.stringify({ raw_earned: correct ? 1 : 0, raw_possible: 1 }),
  };
}

/** A learner and course for GetMany: anyone, anywhere. */
function pickReader(random: () => number) {
  return { user: username(randomInt(random, config.users)), course: randomInt(random, config.courses.length) };
}

/** A SetMany call: a learner of this worker's own (no two workers write one row), a course and 10 of its problems. */
function pickWrite(worker: number, random: () => number) {
  const slots = Math.floor(config.users / config.concurrency);
  const user = username(worker + config.concurrency * randomInt(random, Math.max(1, slots)));
  const course = randomInt(random, config.courses.length);
  const code = config.courses[course]!;
  const blocks = sampleBlocks(random, config.setManyBlocks).map((index) => ({ key: problemKeys[course]![index]!, fields: capaSubmission(code, index, random) }));
  return { user, course, blocks };
}

/** The JSON object text of validated field texts, as the domain builds it for the repository. */
const stateJsonOf = (fields: Record<string, string>) => `{${Object.entries(fields).map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(",")}}`;

function serviceGetMany(clients: ServiceClient[]): Operation {
  return async (worker, random) => {
    const { user, course } = pickReader(random);
    let rows = 0;
    for await (const message of clients[worker]!.getMany({ username: user, blockKeys: problemKeys[course]! })) rows += message.blockStates.length;
    return rows;
  };
}

const asText = (value: string) => value;

function rawGetMany(pool: pg.Pool): Operation {
  return async (_worker, random) => {
    const { user, course } = pickReader(random);
    const keys = JSON.stringify(problemKeys[course]!);
    // Values left as PostgreSQL's text (the service reads them as bytes): no JSON parse of each state.
    const result = await pool.query({ text: readStatesSql, values: [null, null, keys, null, user, scope], types: { getTypeParser: () => asText } });
    return result.rows.length;
  };
}

function serviceSetMany(clients: ServiceClient[]): Operation {
  return async (worker, random) => {
    const { user, blocks } = pickWrite(worker, random);
    const response = await clients[worker]!.setMany({ username: user, updates: blocks.map((block) => ({ blockKey: block.key, fields: block.fields })) });
    return response.results.length;
  };
}

/** The JSON parameter of the SetMany statement, as state-repository.ts builds it. */
function rawSetManyInput(contextKey: string, blocks: ReadonlyArray<{ key: string; fields: Record<string, string> }>): string {
  const context = JSON.stringify(contextKey);
  return `[${blocks
    .map((block, ord) => `{"ord":${ord},"usage_key":${JSON.stringify(block.key)},"context_key":${context},"block_type":"problem","state":${stateJsonOf(block.fields)}}`)
    .join(",")}]`;
}

function rawSetMany(pool: pg.Pool): Operation {
  return async (worker, random) => {
    const { user, course, blocks } = pickWrite(worker, random);
    const input = rawSetManyInput(courseKeys[course]!, blocks);
    const result = await pool.query(writeStatesSql, [input, user, scope, user, scope, config.maxStateBytes, config.maxStateBytes]);
    return result.rowCount ?? 0;
  };
}

// IterAll: each client reads its course (clients alternate between the two)
// from the beginning, 1,000 rows a page, and ends the stream after
// BENCH_ITER_ROWS rows, then starts again.

function serviceIterAll(clients: ServiceClient[]): StreamOperation {
  return async (worker, page, signal) => {
    const request = { courseKey: courseKeys[worker % courseKeys.length]!, batchSize: config.iterBatch };
    let rows = 0;
    try {
      for await (const message of clients[worker]!.iterAllForCourse(request, { signal })) {
        page(message.blockStates.length);
        rows += message.blockStates.length;
        if (rows >= config.iterRows) break; // cancels the call
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  };
}

/** A server-side cursor (DECLARE … CURSOR, FETCH 1000) in a read-only transaction, over the service's select without its limit. */
function rawCursorIterAll(pool: pg.Pool): StreamOperation {
  return async (worker, page, signal) => {
    const client = await pool.connect();
    try {
      if (signal.aborted) return;
      await client.query("begin read only");
      await client.query(declareCursorSql, [scope, "0", courseKeys[worker % courseKeys.length]!]);
      let rows = 0;
      while (rows < config.iterRows && !signal.aborted) {
        const fetched = await client.query<StateRow>(fetchCursorSql(config.iterBatch));
        page(fetched.rows.length);
        rows += fetched.rows.length;
        if (fetched.rows.length < config.iterBatch) break;
      }
      await client.query("close bench_rows");
      await client.query("commit");
    } catch (error) {
      await client.query("rollback").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
}

/** The service's own paging done raw: one keyset query per 1,000 rows, on any pooled connection. */
function rawKeysetIterAll(pool: pg.Pool): StreamOperation {
  return async (worker, page, signal) => {
    const course = courseKeys[worker % courseKeys.length]!;
    let after = "0";
    let rows = 0;
    while (rows < config.iterRows && !signal.aborted) {
      const fetched = await pool.query<StateRow & { position: string }>(positionedStatesPageSql, [scope, after, course, config.iterBatch]);
      page(fetched.rows.length);
      rows += fetched.rows.length;
      if (fetched.rows.length < config.iterBatch) break;
      after = fetched.rows[fetched.rows.length - 1]!.position;
    }
  };
}

/** Checks that the service and the raw statements return the same first page of a course. */
async function checkSameFirstPage(client: ServiceClient, pool: pg.Pool): Promise<void> {
  const service: string[] = [];
  for await (const message of client.iterAllForCourse({ courseKey: courseKeys[0]!, batchSize: config.iterBatch })) {
    service.push(...message.blockStates.map((state) => `${state.username} ${state.blockKey} ${Object.keys(state.fields).length}`));
    break;
  }
  const raw = await pool.query<StateRow>(positionedStatesPageSql, [scope, "0", courseKeys[0]!, config.iterBatch]);
  const rawPage = raw.rows.map((row) => `${row.username} ${row.usage_key} ${Object.keys(splitStateJson(row.state)).length}`);
  if (JSON.stringify(service) !== JSON.stringify(rawPage)) throw new Error("the service's first IterAllForCourse page differs from the raw statement's");
}

// ---------------------------------------------------------------------------
// Set-up steps

async function datasetPresent(): Promise<boolean> {
  try {
    return await onDatabase(benchUrl, async (client) => {
      const result = await client.query<{ n: string }>("select count(*)::text as n from user_state where context_key = any($1)", [courseKeys]);
      return Number(result.rows[0]!.n) === rowsPerCourse * config.courses.length;
    });
  } catch {
    return false;
  }
}

interface RoundTrips {
  readonly setMany: Array<{ blocks: number; roundTrips: number }>;
  readonly getMany100: number;
  readonly rawSetMany10: number;
}

/**
 * Counts the round trips to PostgreSQL of single calls, through the counting
 * proxy of test/support/pg-proxy.ts, with a second server process whose pool
 * holds one connection (so nothing else talks through it). Writes go to a
 * course of their own, outside the measured data.
 */
async function countRoundTrips(): Promise<RoundTrips> {
  const target = new URL(benchUrl);
  const proxy = await startPgProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const proxied = throughProxy(benchUrl, proxy);
  // No heartbeat through the counting proxy: its select 1 would be counted as a round trip.
  const server = await startServerProcess({ DATABASE_URL: proxied, DB_POOL_SIZE: "1", DB_HEARTBEAT_INTERVAL_MS: "600000" });
  const { client, close } = openServiceClient(server.baseUrl);
  const pool = new pg.Pool({ connectionString: proxied, max: 1 });
  try {
    const during = async (call: () => Promise<unknown>) => {
      const before = proxy.roundTrips();
      await call();
      return proxy.roundTrips() - before;
    };
    const probeKeys = Array.from({ length: 1000 }, (_, index) => problemKey("Probe", index));
    const updates = (count: number, round: number) =>
      probeKeys.slice(0, count).map((key, index) => ({ blockKey: key, fields: { ...capaSubmission("Probe", index, () => 0.5), attempts: String(round) } }));
    await client.setMany({ username: "round-trip-probe", updates: updates(1, 0) }); // opens the server's pooled connection
    const setMany = [];
    for (const blocks of [1, 10, 100, 1000]) {
      setMany.push({ blocks, roundTrips: await during(() => client.setMany({ username: "round-trip-probe", updates: updates(blocks, blocks) })) });
    }
    const getMany100 = await during(async () => {
      let rows = 0;
      for await (const message of client.getMany({ username: username(0), blockKeys: problemKeys[0]! })) rows += message.blockStates.length;
      if (rows !== config.getManyBlocks) throw new Error(`GetMany returned ${rows} blocks`);
    });
    await pool.query("select 1");
    const probeInput = rawSetManyInput(
      courseKey("Probe"),
      updates(10, 7).map((update) => ({ key: update.blockKey, fields: update.fields })),
    );
    const user = "round-trip-probe";
    const rawSetMany10 = await during(() => pool.query(writeStatesSql, [probeInput, user, scope, user, scope, config.maxStateBytes, config.maxStateBytes]));
    return { setMany, getMany100, rawSetMany10 };
  } finally {
    close();
    await pool.end();
    await server.stop();
    await proxy.close();
  }
}

// ---------------------------------------------------------------------------
// Profiles (BENCH_PROFILE)

const preload = fileURLToPath(new URL("./profiler-preload.mjs", import.meta.url));

/** Makes the server write what it sampled since the last mark to `<name>.cpuprofile`. */
async function profileMark(server: ServerProcess, directory: string, name: string): Promise<string> {
  const done = path.join(directory, `${name}.done`);
  await rm(done, { force: true }); // left by an earlier run into the same directory
  await writeFile(path.join(directory, "next-name"), name);
  server.kill("SIGUSR2");
  for (let waited = 0; waited < 20_000; waited += 50) {
    if (await access(done).then(() => true, () => false)) return path.join(directory, `${name}.cpuprofile`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the server wrote no profile ${name}`);
}

/** NODE_OPTIONS of the server: BENCH_SERVER_NODE_OPTIONS, plus the profiler when profiling. */
function serverNodeOptions(profileDirectory: string | null): Record<string, string> {
  const options = [config.serverNodeOptions, profileDirectory === null ? "" : `--import=${preload}`].filter((option) => option !== "").join(" ");
  return {
    ...(options === "" ? {} : { NODE_OPTIONS: options }),
    ...(profileDirectory === null ? {} : { BENCH_PROFILE_DIR: profileDirectory }),
  };
}

// ---------------------------------------------------------------------------
// Reporting

interface Row {
  readonly scenario: string;
  readonly side: string;
  readonly result: Measurement;
  /** CPU per operation (GetMany, SetMany), or per 1,000 rows (IterAll). */
  readonly perOp: boolean;
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : "-");

function formatRow(row: Row): string {
  const { result } = row;
  const opsPerSecond = result.ops / result.seconds;
  const rowsPerSecond = result.rows / result.seconds;
  const unit = row.perOp ? Math.max(1, result.ops) : Math.max(1, result.rows / 1000);
  const cpu = result.cpu;
  const share = (seconds: number) => `${((seconds / result.seconds / os.availableParallelism()) * 100).toFixed(0)}%`;
  const others = Math.max(0, cpu.machine - cpu.server - cpu.bench - cpu.postgres);
  return (
    `| ${row.scenario} | ${row.side} | ${fixed(opsPerSecond, 1)} | ${Math.round(rowsPerSecond).toLocaleString("en-US")} | ` +
    `${fixed(percentile(result.latenciesMs, 50), 1)} | ${fixed(percentile(result.latenciesMs, 99), 1)} | ${result.errors} | ` +
    `${fixed((cpu.server * 1000) / unit, 2)} / ${fixed((cpu.bench * 1000) / unit, 2)} / ${fixed((cpu.postgres * 1000) / unit, 2)} | ${share(cpu.machine)} (${share(others)}) |`
  );
}

function ratioRow(scenario: string, service: Measurement, raw: Measurement, against: string, target: number): string {
  const ratio = service.rows / service.seconds / (raw.rows / raw.seconds);
  const p50 = percentile(service.latenciesMs, 50) / percentile(raw.latenciesMs, 50);
  const p99 = percentile(service.latenciesMs, 99) / percentile(raw.latenciesMs, 99);
  const verdict = ratio >= target ? "met" : "missed";
  return `| ${scenario} | **service / ${against}** | **${ratio.toFixed(2)}x** | (target ≥ ${target}x: ${verdict}) | ${fixed(p50, 2)}x | ${fixed(p99, 2)}x | | | |`;
}

/** A row of the C-client table: per call for GetMany and SetMany, per 1,000 rows for streams. */
function formatCRow(scenario: string, side: string, result: CMeasurement, perOp: boolean): string {
  const unit = perOp ? Math.max(1, result.ops) : Math.max(1, result.rows / 1000);
  const { cpu } = result;
  // The C tools do not report their own CPU: it is in what the machine spent besides the server and PostgreSQL.
  const rest = Math.max(0, cpu.machine - cpu.server - cpu.postgres);
  const busy = (cpu.machine / result.seconds / os.availableParallelism()) * 100;
  return (
    `| ${scenario} | ${side} | ${fixed(result.ops / result.seconds, 1)} | ${Math.round(result.rows / result.seconds).toLocaleString("en-US")} | ` +
    `${fixed(result.meanLatencyMs, 1)} | ${result.errors} | ${fixed((cpu.server * 1000) / unit, 2)} / ${fixed((cpu.postgres * 1000) / unit, 2)} / ${fixed((rest * 1000) / unit, 2)} | ${busy.toFixed(0)}% |`
  );
}

/** The ratio of rows/s against the ceiling, and whether the server spent at most PostgreSQL's CPU per unit. */
function cRatioRow(scenario: string, service: CMeasurement, raw: CMeasurement, target: number): string {
  const ratio = service.rows / service.seconds / (raw.rows / raw.seconds);
  const cpuRatio = service.cpu.server / Math.max(Number.EPSILON, service.cpu.postgres);
  return (
    `| ${scenario} | **service / C ceiling** | **${ratio.toFixed(2)}x** | (target ≥ ${target}x: ${ratio >= target ? "met" : "missed"}) | ` +
    `${fixed(service.meanLatencyMs / raw.meanLatencyMs, 2)}x | | server CPU / PostgreSQL CPU in the service run: ${cpuRatio.toFixed(2)} (target ≤ 1: ${cpuRatio <= 1 ? "met" : "missed"}) | |`
  );
}

// ---------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const runStarted = performance.now();
  const postgresVersion = await onDatabase(databaseUrl!, async (client) => {
    const result = await client.query<{ server_version: string }>("show server_version");
    return result.rows[0]!.server_version;
  });
  const loadAverage = () => os.loadavg().map((value) => value.toFixed(2)).join(" ");
  log(
    `load average ${loadAverage()}; machine: ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? "?"}), ${mb(os.totalmem())} memory, Linux ${os.release()}; ` +
      `Node ${process.version}; PostgreSQL ${postgresVersion}`,
  );
  log(
    `config: ${config.serverNodeOptions ? `server NODE_OPTIONS ${config.serverNodeOptions}; ` : ""}${config.users} users × ${config.courses.length} courses × ${config.blocksPerCourse} problems; ${config.concurrency} concurrent clients; ` +
      `pool ${config.poolSize} (server and raw); gRPC clients ${config.compressedResponses ? "accept gzip (connect-node's default)" : "refuse compression (BENCH_GZIP=0)"}; ${config.rounds} rounds per side, each a ${config.warmupMs / 1000} s warm-up and a ${roundMs / 1000} s window, the sides taking turns; IterAll streams of ${config.iterRows} rows`,
  );

  const reuse = config.reuseData && (await datasetPresent());
  if (!reuse) {
    log(`creating database ${config.database} (dropping it first if it exists)`);
    await recreateDatabase(databaseUrl!, config.database);
  } else {
    log(`reusing the data set already in ${config.database} (BENCH_REUSE_DATA=1)`);
  }

  let profileDirectory: string | null = null;
  if (config.profile !== "") {
    profileDirectory = config.profile === "1" ? await mkdtemp(path.join(os.tmpdir(), "learnerstate-bench-profile-")) : path.resolve(config.profile);
    await mkdir(profileDirectory, { recursive: true });
    log(`profiling the server's main thread into ${profileDirectory} (numbers of a profiled run are not comparable with an unprofiled one)`);
  }
  buildServer(); // the bundle npm start runs
  const server = await startServerProcess({
    DATABASE_URL: benchUrl,
    DB_POOL_SIZE: String(config.poolSize),
    ...serverNodeOptions(profileDirectory),
  });
  process.once("exit", () => server.kill("SIGTERM"));
  const rss = new RssSampler(server.pid);
  rss.start();
  const startupRss = await server.rssBytes();
  log(`server pid ${server.pid} listening on ${server.baseUrl} (migrations applied); RSS ${mb(startupRss)}`);

  let load: LoadReport | null = null;
  rss.enter("data load");
  if (!reuse) {
    log(`loading ${(rowsPerCourse * config.courses.length).toLocaleString("en-US")} rows with SQL…`);
    load = await loadDataset(benchUrl, { users: config.users, courses: config.courses, blocksPerCourse: config.blocksPerCourse });
    log(
      `loaded ${load.rows.toLocaleString("en-US")} rows in ${load.seconds.toFixed(1)} s; states ${load.minStateBytes}–${load.maxStateBytes} bytes ` +
        `(mean ${load.averageStateBytes}); user_state with indexes ${mb(load.tableBytes)}`,
    );
  }

  rss.enter("round-trip count");
  const trips = await countRoundTrips();
  log(
    `round trips to PostgreSQL: SetMany ${trips.setMany.map((entry) => `${entry.blocks} blocks → ${entry.roundTrips}`).join(", ")}; ` +
      `GetMany(100) → ${trips.getMany100}; raw SetMany(10) → ${trips.rawSetMany10}`,
  );

  const rows: Row[] = [];
  const ratios: string[] = [];
  const streamNotes: string[] = [];
  let transformedNote: string | null = null;
  const profiles: string[] = [];
  const pool = await openRawPool(benchUrl);
  const timed = { concurrency: config.concurrency, warmupMs: config.warmupMs, durationMs: roundMs, seed: 1 };

  // The service side of round `round` of scenario `name`: its own clients,
  // and a profile of the first round when profiling.
  const serviceSideOf = async <S extends DescService, T>(service: S, name: string, round: number, work: (clients: Array<Client<S>>) => Promise<T>): Promise<T> => {
    const { clients, close } = openClients(service, server.baseUrl, config.concurrency, config.compressedResponses);
    rss.enter(`${name}, service`);
    const profileInto = round === 0 ? profileDirectory : null;
    if (profileInto !== null) await profileMark(server, profileInto, `before-${name}`);
    try {
      return await work(clients);
    } finally {
      if (profileInto !== null) profiles.push(await profileMark(server, profileInto, name));
      close();
    }
  };
  const serviceSide = <T>(name: string, round: number, work: (clients: ServiceClient[]) => Promise<T>) => serviceSideOf(UserStateService, name, round, work);
  const inPhase = <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    rss.enter(phase);
    return work();
  };
  const rawSide = <T>(name: string, work: () => Promise<T>): Promise<T> => inPhase(`${name}, raw`, work);

  // GetMany and SetMany: closed loops of calls, the raw statement against the service.
  const callScenario = async (scenario: string, blocks: number, raw: Operation, service: (clients: ServiceClient[]) => Operation) => {
    log(`${scenario}: raw SQL and service, ${config.rounds} rounds each…`);
    const options = { ...timed, expectedRows: blocks };
    const measured = await inRounds(
      config.rounds,
      [
        ["raw", () => rawSide(scenario, () => runTimed(raw, { ...options, serverPid: null }))],
        ["service", (round) => serviceSide(scenario, round, (clients) => runTimed(service(clients), { ...options, serverPid: server.pid }))],
      ],
      combineMeasurements,
    );
    rows.push({ scenario, side: "service (gRPC)", result: measured.service, perOp: true }, { scenario, side: "raw SQL (pg)", result: measured.raw, perOp: true });
    ratios.push(ratioRow(scenario, measured.service, measured.raw, "raw", 0.8));
  };
  if (config.only.has("getMany")) await callScenario(`GetMany(${config.getManyBlocks})`, config.getManyBlocks, rawGetMany(pool), serviceGetMany);
  if (config.only.has("setMany")) await callScenario(`SetMany(${config.setManyBlocks})`, config.setManyBlocks, rawSetMany(pool), serviceSetMany);

  if (config.only.has("iterAll")) {
    const scenario = `IterAllForCourse(${config.iterRows / 1000}k)`;
    const streams = { concurrency: config.concurrency, warmupMs: config.warmupMs, durationMs: roundMs, streamRows: config.iterRows };
    const single = { ...streams, concurrency: 1, warmupMs: 1000, durationMs: config.singleStreamMs / config.rounds };
    {
      const { client, close } = openServiceClient(server.baseUrl);
      await checkSameFirstPage(client, pool);
      close();
    }
    log(`${scenario}: raw SQL (cursor${config.rawKeyset ? ", keyset pages" : ""}) and service, ${config.rounds} rounds each…`);
    const sides: Array<readonly [string, (round: number) => Promise<StreamMeasurement>]> = [
      ["raw cursor", () => rawSide(scenario, () => runStreams(rawCursorIterAll(pool), { ...streams, serverPid: null }))],
      ["service", (round) => serviceSide(scenario, round, (clients) => runStreams(serviceIterAll(clients), { ...streams, serverPid: server.pid }))],
    ];
    if (config.rawKeyset) sides.push(["raw keyset", () => rawSide(scenario, () => runStreams(rawKeysetIterAll(pool), { ...streams, serverPid: null }))]);
    if (config.singleStreamMs > 0) {
      sides.push(
        ["raw cursor, 1 client", () => rawSide(scenario, () => runStreams(rawCursorIterAll(pool), { ...single, serverPid: null }))],
        ["service, 1 client", (round) => serviceSide(`${scenario}, 1 client`, round, (clients) => runStreams(serviceIterAll(clients), { ...single, serverPid: server.pid }))],
      );
    }
    const measured: Record<string, StreamMeasurement> = await inRounds(config.rounds, sides, combineStreamMeasurements);
    const service = measured["service"]!;
    const rawCursor = measured["raw cursor"]!;
    const rawKeyset = measured["raw keyset"] ?? null;
    rows.push(
      { scenario, side: "service (gRPC)", result: service, perOp: false },
      { scenario, side: "raw SQL, cursor + FETCH 1000", result: rawCursor, perOp: false },
    );
    if (rawKeyset !== null) rows.push({ scenario, side: "raw SQL, keyset pages of 1000", result: rawKeyset, perOp: false });
    ratios.push(ratioRow(scenario, service, rawCursor, "raw cursor", 0.7));
    if (rawKeyset !== null) ratios.push(ratioRow(scenario, service, rawKeyset, "raw keyset", 0.7));
    const serviceSingle = measured["service, 1 client"];
    const rawSingle = measured["raw cursor, 1 client"];
    if (serviceSingle !== undefined && rawSingle !== undefined) {
      const one = "IterAllForCourse, 1 client";
      rows.push({ scenario: one, side: "service (gRPC)", result: serviceSingle, perOp: false }, { scenario: one, side: "raw SQL, cursor + FETCH 1000", result: rawSingle, perOp: false });
      ratios.push(ratioRow(one, serviceSingle, rawSingle, "raw cursor", 0.7));
    }
    const completedSides: Array<[string, StreamMeasurement]> = [
      ["service", service],
      ["raw cursor", rawCursor],
    ];
    if (rawKeyset !== null) completedSides.push(["raw keyset", rawKeyset]);
    for (const [side, result] of completedSides) {
      const completed = result.streamLatenciesMs.length;
      streamNotes.push(
        `${scenario}, ${side}: ${completed} streams of ${config.iterRows.toLocaleString("en-US")} rows completed inside the windows` +
          (completed > 0 ? `, p50 ${(percentile(result.streamLatenciesMs, 50) / 1000).toFixed(1)} s each` : ""),
      );
    }
  }

  if (config.only.has("getTransformed")) {
    const learners = Array.from({ length: Math.min(config.transformedLearners, config.users) }, (_, index) => username(index));
    const publisher = openClient(BlockStructureService, server.baseUrl);
    const writer = openServiceClient(server.baseUrl);
    const outline = await publishOutline(publisher.client, writer.client, pool, learners);
    publisher.close();
    writer.close();
    const scenario = `GetTransformed(${outline.course.blocks.length.toLocaleString("en-US")} blocks, every transformer, progress)`;
    transformedNote =
      `${scenario}: each call is one learner (of ${learners.length}) seeing ${outline.visibleBlocks} blocks; the structure is stored in ${(outline.storedBytes / 1024).toFixed(0)} KB. ` +
      "The raw side is the service's one statement with the cached revision (the learner's selection and scores, no structure data): the database's share of a call, not a like-for-like ratio.";
    log(`${scenario}: raw statement and service, ${config.concurrency} clients and 1, ${config.rounds} rounds each…`);
    const service = { ...timed, expectedRows: outline.visibleBlocks, serverPid: server.pid };
    const measured = await inRounds(
      config.rounds,
      [
        ["raw", () => rawSide(scenario, () => runTimed(rawGetTransformed(pool, outline), { ...timed, expectedRows: 1, serverPid: null }))],
        ["service", (round) => serviceSideOf(BlockStructureService, scenario, round, (clients) => runTimed(serviceGetTransformed(clients, outline), service))],
        // One client: the latency of a call that waits for no other.
        [
          "service, 1 client",
          (round) => serviceSideOf(BlockStructureService, `${scenario}, 1 client`, round, (clients) => runTimed(serviceGetTransformed(clients, outline), { ...service, concurrency: 1 })),
        ],
      ],
      combineMeasurements,
    );
    rows.push(
      { scenario, side: "service (gRPC)", result: measured.service, perOp: true },
      { scenario, side: "service (gRPC), 1 client", result: measured["service, 1 client"], perOp: true },
      { scenario, side: "raw SQL (its one statement, warm cache)", result: measured.raw, perOp: true },
    );
  }

  const cRows: string[] = [];
  if (config.only.has("cClients")) {
    const tools = ensureCTools();
    const cOptions: CComparisonOptions = {
      tools,
      target: { baseUrl: server.baseUrl, metricsUrl: server.metricsUrl, pid: server.pid },
      databaseUrl: benchUrl,
      concurrency: config.concurrency,
      warmupSeconds: config.warmupMs / 1000,
      windowSeconds: Math.max(1, Math.round(roundMs / 1000)),
      users: config.users,
      username,
      courseKeys,
      problemKeys,
      getManyBlocks: config.getManyBlocks,
      setManyBlocks: config.setManyBlocks,
      submission: (course, index) => capaSubmission(config.courses[course]!, index, seededRandom(index + 1)),
      streams: config.cStreams,
      history: longHistory,
    };
    const chosen = (scenario: string) => config.cOnly.length === 0 || config.cOnly.some((prefix) => scenario.startsWith(prefix));
    const cScenario = async (scenario: string, perOp: boolean, target: number, raw: CSide, service: CSide) => {
      if (!chosen(scenario)) return;
      log(`${scenario}: C clients (h2load against pgbench/psql), ${config.rounds} rounds each…`);
      const measured = await withScratchDirectory((directory) =>
        inRounds(
          config.rounds,
          [
            ["raw", () => inPhase(`${scenario}, PostgreSQL with a C client`, () => raw(cOptions, directory))],
            ["service", () => inPhase(`${scenario}, service with h2load`, () => service(cOptions, directory))],
          ],
          combineCMeasurements,
        ),
      );
      cRows.push(
        formatCRow(scenario, "service (h2load, gRPC)", measured.service, perOp),
        formatCRow(scenario, raw === rawCopyIterAll ? "PostgreSQL (psql COPY)" : "PostgreSQL (pgbench, plain SQL)", measured.raw, perOp),
        cRatioRow(scenario, measured.service, measured.raw, target),
      );
    };
    if (chosen("DescribeKey")) {
      log("DescribeKey (no database): the server's fixed cost of a call…");
      const fixedCost = await inPhase("DescribeKey, service with h2load", () => withScratchDirectory((directory) => serviceDescribeKey(cOptions, directory)));
      cRows.push(formatCRow("DescribeKey (no database)", "service (h2load, gRPC)", fixedCost, true));
    }
    await cScenario(`GetMany(${config.getManyBlocks})`, true, 0.35, rawGetManyC, serviceGetManyC);
    await cScenario(`GetMany(${config.getManyBlocks}), STATE_FORM_JSON_OBJECT`, true, 0.35, rawGetManyC, serviceGetManyJsonC);
    await cScenario(`SetMany(${config.setManyBlocks})`, true, 0.6, rawSetManyC, serviceSetManyC);
    await cScenario(`IterAllForCourse, ${config.cStreams} whole-course streams`, false, 0.5, rawCopyIterAll, serviceIterAllC);
    await cScenario(`IterAllForCourse, ${config.cStreams} whole-course streams, STATE_FORM_JSON_OBJECT`, false, 0.5, rawCopyIterAll, serviceIterAllJsonC);
    await ensureLongHistory(benchUrl);
    await cScenario(`GetHistory of a block with ${longHistory.entries.toLocaleString("en-US")} entries, ${config.cStreams} callers`, false, 0.5, rawCopyHistory, serviceGetHistoryC);
    await cScenario(`GetHistory of a block with ${longHistory.entries.toLocaleString("en-US")} entries, ${config.cStreams} callers, STATE_FORM_JSON_OBJECT`, false, 0.5, rawCopyHistory, serviceGetHistoryJsonC);
    await cScenario("npx learnerstate export of one course (JSON Lines)", false, 0.5, rawCopyOneCourse, serviceExportC);
    if (chosen("IterAllForCourse, 32")) {
      log(`IterAllForCourse, 32 whole-course streams at once: the server's memory…`);
      const many = await inPhase("IterAllForCourse, 32 whole-course streams, service with h2load", () =>
        withScratchDirectory((directory) => serviceIterAllC({ ...cOptions, streams: 32 }, directory)),
      );
      cRows.push(formatCRow("IterAllForCourse, 32 whole-course streams (RSS: see below)", "service (h2load, gRPC)", many, false));
    }
  }

  let overload: OverloadLevel[] = [];
  if (config.only.has("overload")) {
    log(`Overload: GetMany(100) at ${config.concurrency} and ${32 * config.concurrency} calls in flight, then a mix, ${config.overloadSeconds} s each…`);
    const tools = ensureCTools();
    const learners = Array.from({ length: 16 }, (_, index) => index * 97 + 11);
    overload = await withScratchDirectory((directory) =>
      measureOverload({
        tools,
        target: { baseUrl: server.baseUrl, metricsUrl: server.metricsUrl, pid: server.pid },
        directory,
        seconds: config.overloadSeconds,
        peakConcurrency: config.concurrency,
        bodies: {
          getMany: learners.map((learner, index) => grpcBody(GetManyRequestSchema, { username: username(learner), blockKeys: [...problemKeys[index % problemKeys.length]!] })),
          setMany: learners.map((learner, index) => {
            const course = index % problemKeys.length;
            const updates = Array.from({ length: config.setManyBlocks }, (_, block) => ({
              blockKey: problemKeys[course]![block]!,
              fields: capaSubmission(config.courses[course]!, block, seededRandom(block + 1)),
            }));
            return grpcBody(SetManyRequestSchema, { username: username(learner + 1), updates });
          }),
          iterAll: courseKeys.map((key) => grpcBody(IterAllForCourseRequestSchema, { courseKey: key, batchSize: 1000 })),
        },
        // The probe writes in a course of its own, so that the data set stays as loaded (BENCH_REUSE_DATA counts its rows).
        probe: { username: username(3), blockKeys: problemKeys[0]!, writeKey: problemKey("OverloadProbe", 0) },
        enterPhase: (phase) => rss.enter(phase),
        peakRss: (phase) => rss.peaks.get(phase) ?? 0,
      }),
    );
  }

  let pythonRows: string[] = [];
  if (config.only.has("python")) {
    log("The Open edX drop-in's get_many of 100 problems, in series, from Python…");
    ensurePythonClient();
    const target = server.baseUrl.replace(/^http:\/\//u, "");
    pythonRows = await inPhase("Python drop-in get_many(100)", async () =>
      Array.from({ length: config.rounds }, (_, round) => {
        const figures = runPythonGetMany(target, username(round * 17 + 3), problemKeys[round % problemKeys.length]!, 300, 50);
        if (figures.states !== figures.calls * config.getManyBlocks) throw new Error(`the drop-in read ${figures.states} states in ${figures.calls} calls`);
        return `| round ${round + 1} | ${figures.calls} | ${figures.wallMsPerCall.toFixed(2)} | ${figures.cpuMsPerCall.toFixed(2)} |`;
      }),
    );
  }

  let watch: WatchLevel[] = [];
  const watchWritesPerSecond = 500;
  if (config.only.has("watch")) {
    log(`Change feed: SetMany(1) at ${watchWritesPerSecond}/s into one course, watched by 0, 1 and 100 WatchChanges streams, ${config.watchSeconds} s each…`);
    const { h2load } = ensureCTools();
    watch = await inPhase("WatchChanges", () =>
      withScratchDirectory((directory) => measureWatch({
        h2load,
        directory,
        baseUrl: server.baseUrl,
        metricsUrl: server.metricsUrl,
        serverPid: server.pid,
        // A course of its own, so that the data set stays as loaded.
        courseKey: courseKey("WatchBench"),
        blockKeys: Array.from({ length: 100 }, (_, index) => problemKey("WatchBench", index)),
        usernames: Array.from({ length: 50 }, (_, index) => username(index)),
        writesPerSecond: watchWritesPerSecond,
        seconds: config.watchSeconds,
        watcherCounts: [0, 1, 100],
      })),
    );
  }

  rss.enter("after the runs");
  const peakRss = rss.lifetimePeak();
  rss.stop();
  await pool.end();
  const exitCode = await server.stop();
  let floor: FloorFigures[] = [];
  if (config.only.has("floor")) {
    log(`Per-call floor: minimal servers and the service, DescribeKey from h2load, ${config.floorRounds} rounds…`);
    const { h2load } = ensureCTools();
    floor = await measureFloor(
      h2load,
      [
        ...minimalServers(),
        serviceServer("the service's DescribeKey, gRPC through Connect's adapter (GRPC_PATH=connect)", benchUrl, { GRPC_PATH: "connect" }),
        serviceServer("the service's DescribeKey, its gRPC path (the default)", benchUrl),
      ],
      { warmupSeconds: 5, rounds: config.floorRounds, seconds: config.floorSeconds, connections: config.concurrency, serialCalls: 2000 },
    );
  }
  const benchCpu = process.cpuUsage();

  console.log("");
  console.log(
    `## Results (${config.concurrency} concurrent clients, pool ${config.poolSize}, ${os.availableParallelism()} CPUs; ` +
      `each side ${config.rounds} rounds of ${config.warmupMs / 1000} s warm-up + ${roundMs / 1000} s window, taking turns; IterAll: ${config.concurrency} streams of ${config.iterRows.toLocaleString("en-US")} rows at once)`,
  );
  console.log("");
  console.log("| scenario | side | ops/s | rows/s | p50 ms | p99 ms | errors | CPU ms per op (GetMany, SetMany, GetTransformed) or per 1k rows (IterAll): server / bench / postgres | machine CPU busy (of it, other processes) |");
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
  for (const row of rows) console.log(formatRow(row));
  for (const ratio of ratios) console.log(ratio);
  console.log("");
  console.log(
    "Ratios are of rows/s (the same as of ops/s for GetMany and SetMany) and of latencies. IterAll: ops/s counts streams completed in the window; " +
      "its latency is per page of 1,000 rows (from the previous page, or from the request for the first page, so queueing for a connection counts).",
  );
  for (const note of streamNotes) console.log(note);
  if (transformedNote !== null) console.log(transformedNote);
  const failures = rows.filter((row) => row.result.errors > 0);
  for (const row of failures) console.log(`errors in ${row.scenario}, ${row.side}: ${row.result.errors}, first: ${row.result.firstError}`);
  if (cRows.length > 0) {
    console.log("");
    console.log(`## Against the true ceiling: C load generators on both sides (${config.concurrency} callers; streams: ${config.cStreams} at once, each a whole course)`);
    console.log("");
    console.log("| scenario | side | ops/s | rows/s | mean latency ms (streams: whole stream) | errors | CPU ms per op (streams: per 1k rows): server / postgres / rest of the machine (the C client, the bench, others) | machine CPU busy |");
    console.log("| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |");
    for (const row of cRows) console.log(row);
    console.log("");
    console.log("h2load: one process per caller, one call in flight each, gRPC over h2c; failed calls counted from the server's /metrics. PostgreSQL: pgbench -M prepared running the plain statements (no per-field splitting, no field times), psql \\copy of the plain select.");
  }
  if (overload.length > 0) {
    console.log("");
    console.log(`## Overload: GetMany(100) at the peak and at 32 times it (h2load, no back-off), then a mix (pool ${config.poolSize})`);
    console.log("");
    for (const line of formatOverload(overload)) console.log(line);
  }
  if (pythonRows.length > 0) {
    console.log("");
    console.log("## The LMS's path: the Open edX drop-in's get_many of 100 problems, in series (Python, grpcio)");
    console.log("");
    console.log("| run | calls | wall ms per call | Python process CPU ms per call (target ≤ 1.0) |");
    console.log("| --- | ---: | ---: | ---: |");
    for (const row of pythonRows) console.log(row);
  }
  if (watch.length > 0) {
    console.log("");
    console.log(`## Change feed: WatchChanges of one course under SetMany(1) at ${watchWritesPerSecond}/s`);
    console.log("");
    for (const line of formatWatch(watch, watchWritesPerSecond)) console.log(line);
  }
  if (floor.length > 0) printFloor(floor);
  console.log("");
  console.log(
    `SetMany round trips to PostgreSQL (counting proxy): ${trips.setMany.map((entry) => `${entry.blocks} blocks: ${entry.roundTrips}`).join("; ")}` +
      ` (GetMany(100): ${trips.getMany100}; the raw SetMany(10): ${trips.rawSetMany10})`,
  );
  const setManyOk = trips.setMany.every((entry) => entry.roundTrips === 1);
  console.log(`  target one round trip whatever the block count: ${setManyOk ? "met" : "missed"}`);
  console.log("");
  console.log(
    `Server RSS: ${mb(startupRss)} once listening; peak ${mb(peakRss)} over its whole life (VmHWM) (target < 200 MB: ${peakRss < 200 * 1024 * 1024 ? "met" : "missed"})`,
  );
  console.log(`  highest of ${rss.samples} samples (every 100 ms) in each phase:`);
  for (const [phase, peak] of rss.peaks) console.log(`    ${phase}: ${mb(peak)}`);
  console.log(`Server exit code: ${exitCode}`);
  console.log(`Load average at the end: ${loadAverage()}`);
  console.log(`Bench process CPU in all: ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} s; whole run ${((performance.now() - runStarted) / 1000).toFixed(0)} s`);
  if (load !== null) console.log(`Data load: ${load.seconds.toFixed(1)} s`);
  for (const file of profiles) {
    console.log("");
    console.log(await describeProfile(file));
  }
}

await main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

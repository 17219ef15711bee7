// `npx tsx bench/encode-cost.ts` (after `npm run bench` has loaded its
// database): times, in this process and one at a time, the pieces of
// per-call work that the server's profile points at, on real rows of the
// benchmark's data set. Each figure is the CPU one call of the server spends
// on that piece (the same libraries, the same message shapes), so they can be
// set against the server's CPU per call that `npm run bench` prints.
import { gzipSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { configureTextEncoding } from "@bufbuild/protobuf/wire";
import pg from "pg";
import { BlockStateSchema, type BlockState } from "../gen/learnerstate/v1/user_state_pb.js";
import { GetManyResponseSchema, IterAllForCourseResponseSchema } from "../gen/learnerstate/v1/user_state_service_pb.js";
import { addressBlock, checkFieldValue, defaultLimits } from "../src/domain/state/index.js";
import { blockStatesField, encodeResumeTokenField, encodeStatePage, type StateForm } from "../src/rpc/block-state-encoding.js";
import { installExactTextEncoding } from "../src/rpc/index.js";
import { pageOfStates, splitStateJson, type StoredState } from "../src/domain/state/index.js";
import { courseKey, problemKey, scope, withDatabase } from "./dataset.js";
import { positionedStatesPageSql, type StateRow } from "./sql.js";

/** The encoder on the page of `states`, as GetMany calls it. */
const encodeStoredStates = (states: readonly StoredState[], form?: StateForm) => encodeStatePage(pageOfStates(states), form);

const databaseUrl = process.env["DATABASE_URL"];
if (!databaseUrl) {
  console.error("DATABASE_URL is required (the same as for npm run bench, whose database this reads)");
  process.exit(2);
}
const url = withDatabase(databaseUrl, process.env["BENCH_DATABASE"] || "learnerstate_bench");

/**
 * Milliseconds of one `work()`: the median of five rounds' means, after a
 * warm-up, so that garbage left by the previous measurement weighs less.
 */
function timeOf(work: () => unknown, runs = 300): number {
  for (let index = 0; index < 50; index += 1) work();
  const rounds: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    const started = performance.now();
    for (let index = 0; index < runs / 5; index += 1) work();
    rounds.push((performance.now() - started) / (runs / 5));
  }
  return rounds.sort((a, b) => a - b)[2]!;
}

/** A BlockState built as the server builds it (user-state-service.ts blockStateOf). */
function blockStateOf(row: StateRow): BlockState {
  const micros = BigInt(row.modified);
  return create(BlockStateSchema, {
    username: row.username,
    blockKey: row.usage_key,
    fields: splitStateJson(row.state),
    updateTime: create(TimestampSchema, { seconds: micros / 1_000_000n, nanos: Number(micros % 1_000_000n) * 1000 }),
  });
}

const pool = new pg.Pool({ connectionString: url, max: 1 });
const keys = Array.from({ length: 100 }, (_, index) => problemKey("Course1", index));
const pageRows = (await pool.query<StateRow>(positionedStatesPageSql, [scope, "0", courseKey("Course1"), 1000])).rows;
// As many rows as a GetMany of 100 blocks answers, of the same course.
const getManyRows = pageRows.slice(0, 100);
await pool.end();
if (getManyRows.length !== 100 || pageRows.length !== 1000) throw new Error("the benchmark's data set is not loaded: run npm run bench first");

const getMany = create(GetManyResponseSchema, { blockStates: getManyRows.map(blockStateOf) });
const page = create(IterAllForCourseResponseSchema, { blockStates: pageRows.map(blockStateOf), resumeToken: "x".repeat(120) });
const lines: Array<[string, number, number]> = [];
const row = (label: string, getManyMs: number, pageMs: number) => lines.push([label, getManyMs, pageMs]);

row("build the BlockState messages", timeOf(() => getManyRows.map(blockStateOf)), timeOf(() => pageRows.map(blockStateOf), 50));
row("toBinary, protobuf-es's own text encoding", timeOf(() => toBinary(GetManyResponseSchema, getMany)), timeOf(() => toBinary(IterAllForCourseResponseSchema, page), 50));
installExactTextEncoding();
const getManyBytes = toBinary(GetManyResponseSchema, getMany);
const pageBytes = toBinary(IterAllForCourseResponseSchema, page);
row("toBinary, installExactTextEncoding (what the server ran for binary calls before the purpose-built encoder)", timeOf(() => toBinary(GetManyResponseSchema, getMany)), timeOf(() => toBinary(IterAllForCourseResponseSchema, page), 50));
/** What the server runs for binary calls: the purpose-built encoder from the stored texts, then toBinary of the message carrying its bytes. */
function preEncoded(schema: typeof GetManyResponseSchema | typeof IterAllForCourseResponseSchema, rows: StateRow[], resumeToken: string) {
  const carrier = create(schema);
  const states = rows.map((stored) => ({ username: stored.username, usageKey: stored.usage_key, stateJson: stored.state, modified: BigInt(stored.modified) }));
  carrier.$unknown = [blockStatesField(encodeStoredStates(states), 0, states.length - 1), ...encodeResumeTokenField(resumeToken)];
  return toBinary(schema, carrier);
}
row(
  "purpose-built encoder from the stored texts + toBinary of the pre-encoded message (what the server runs)",
  timeOf(() => preEncoded(GetManyResponseSchema, getManyRows, "")),
  timeOf(() => preEncoded(IterAllForCourseResponseSchema, pageRows, page.resumeToken), 50),
);
row("gzip of the encoded message (when the client accepts gzip)", timeOf(() => gzipSync(getManyBytes), 100), timeOf(() => gzipSync(pageBytes), 20));
row("fromBinary in the client", timeOf(() => fromBinary(GetManyResponseSchema, getManyBytes)), timeOf(() => fromBinary(IterAllForCourseResponseSchema, pageBytes), 50));
const strict = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
const lenient = new TextDecoder("utf-8", { ignoreBOM: true });
configureTextEncoding({
  encodeUtf8: (text) => Buffer.from(text, "utf8"),
  decodeUtf8: (bytes, checked) => (checked ? strict : lenient).decode(bytes),
  checkUtf8: (text) => text.isWellFormed(),
});
row("toBinary, encodeUtf8 = Buffer.from (pooled) instead", timeOf(() => toBinary(GetManyResponseSchema, getMany)), timeOf(() => toBinary(IterAllForCourseResponseSchema, page), 50));
row("parse the 100 usage keys of the request (addressBlock, memoised keys)", timeOf(() => keys.map((key, index) => addressBlock(key, `block_keys[${index}]`))), Number.NaN);
row("slice the stored states' texts into fields (splitStateJson)", timeOf(() => getManyRows.map((state) => splitStateJson(state.state))), timeOf(() => pageRows.map((state) => splitStateJson(state.state)), 50));
const values = getManyRows.slice(0, 10).flatMap((state) => Object.values(splitStateJson(state.state)));
row(`check the ${values.length} field values of a SetMany(10) (checkFieldValue)`, timeOf(() => values.forEach((value) => checkFieldValue(value, "v", defaultLimits))), Number.NaN);

console.log(`GetMany(100) response: ${getManyBytes.length.toLocaleString("en-US")} bytes; IterAll page of 1,000 rows: ${pageBytes.length.toLocaleString("en-US")} bytes`);
console.log("");
console.log("| work | ms per GetMany(100) | ms per IterAll page of 1,000 rows |");
console.log("| --- | ---: | ---: |");
for (const [label, getManyMs, pageMs] of lines) console.log(`| ${label} | ${getManyMs.toFixed(2)} | ${Number.isNaN(pageMs) ? "" : pageMs.toFixed(1)} |`);

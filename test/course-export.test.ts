import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "csv-parse/sync";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockKey, unique, useServer } from "./support/fixture.js";

// `learnerstate export` against a course of 100,000 stored states. The
// exports run the command's bin with its heap capped far below the export's
// size, so a command that held the rows instead of writing them would die;
// the failure cases go through `npx learnerstate`, as a user types it.
const fixture = useServer({ ownDatabase: true });
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);

const learners = 100;
const problemsPerLearner = 1000;
const problemRows = learners * problemsPerLearner;
const org = unique("Export");
const course = `course-v1:${org}+Big+2026`;
const problemKey = (index: number) => blockKey(course, "problem", `p${index}`);
const videoKey = blockKey(course, "video", "intro");
const heapCapMegabytes = 64;
let directory = "";

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "learnerstate-export-"));
  // Loaded with SQL behind the service's back: the tests are about reading.
  await fixture.db.query(
    `insert into user_state (username, usage_key, scope, context_key, block_type, state, field_modified)
     select 'learner' || (i / $2), 'block-v1:' || $1 || '+Big+2026+type@problem+block@p' || (i % $2), 'user_state', $3, 'problem',
            jsonb_build_object('attempts', i % 7, 'seed', i, 'done', true,
                               'score', jsonb_build_object('raw_earned', i % 3, 'raw_possible', 2),
                               'student_answers', jsonb_build_object('p' || (i % $2) || '_2_1', 'choice_' || (i % 4)),
                               'padding', repeat('x', 300)),
            '{}'::jsonb
     from generate_series(0, $4 - 1) as i`,
    [org, problemsPerLearner, course, problemRows],
  );
  // Modification times spread over 1960-2100, to the microsecond: the export formats them itself.
  await fixture.db.query(
    `update user_state set modified = timestamptz '1960-01-01 00:00:00+00' + random() * interval '140 years'
     where scope = 'user_state' and context_key = $1`,
    [course],
  );
  // Through the service: a value JavaScript numbers cannot hold, and a video the answers report leaves out.
  await fixture.client.setMany({
    username: "exact",
    updates: [
      { blockKey: problemKey(0), fields: { student_answers: '{"p0_2_1":12345678901234567890}', attempts: "1", score: '{"raw_earned":1.0,"raw_possible":2}' } },
      { blockKey: videoKey, fields: { position: "42" } },
    ],
  });
}, 120_000);

afterAll(() => rm(directory, { recursive: true, force: true }));

/** The file package.json's `bin` runs for `learnerstate`. */
const binPath = path.join(repoRoot, (JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { bin: Record<string, string> }).bin["learnerstate"]!);

/**
 * Runs `learnerstate export <args>`: through `npx`, as a user types it, or
 * the same bin with node and the heap cap (the cap cannot go through npx's
 * NODE_OPTIONS, which would cap npm itself).
 */
async function exportCommand(args: readonly string[], via: "npx" | "capped node" = "capped node") {
  const [command, commandArgs] =
    via === "npx"
      ? ["npx", ["learnerstate", "export", "--target", fixture.server.baseUrl, ...args]]
      : [process.execPath, [`--max-old-space-size=${heapCapMegabytes}`, binPath, "export", "--target", fixture.server.baseUrl, ...args]];
  try {
    const { stdout, stderr } = await run(command, commandArgs, { cwd: repoRoot, maxBuffer: 1024 * 1024, timeout: 120_000 });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout: string; stderr: string };
    return { status: failed.code ?? -1, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("npx learnerstate export", () => {
  const allRows = problemRows + 2;

  it("writes every state of the course as CSV, quietly when not on a terminal", { timeout: 120_000 }, async () => {
    const out = path.join(directory, "course.csv");
    const result = await exportCommand(["--course", course, "--out", out]);
    expect(result).toEqual({ status: 0, stdout: "", stderr: "" });
    const rows = parse(await readFile(out, "utf8"), { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(allRows);
    expect(Object.keys(rows[0]!)).toEqual(["username", "block_key", "updated", "state"]);
    const sample = rows.find((row) => row["username"] === "learner7" && row["block_key"] === problemKey(123))!;
    expect(JSON.parse(sample["state"]!)).toMatchObject({ attempts: 7123 % 7, seed: 7123, done: true, student_answers: { p123_2_1: `choice_${7123 % 4}` } });
    const stored = await fixture.db.query<{ username: string; usage_key: string; updated: string }>(
      `select username, usage_key, to_char(modified at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as updated
       from user_state where scope = 'user_state' and context_key = $1`,
      [course],
    );
    const storedUpdated = new Map(stored.rows.map((row) => [`${row.username} ${row.usage_key}`, row.updated]));
    expect(new Set(stored.rows.map((row) => row.updated.slice(0, 4))).size).toBeGreaterThan(100);
    const mismatched = rows.filter((row) => row["updated"] !== storedUpdated.get(`${row["username"]} ${row["block_key"]}`));
    expect(mismatched).toEqual([]);
    const exact = rows.find((row) => row["username"] === "exact" && row["block_key"] === problemKey(0))!;
    // PostgreSQL's jsonb text (a space after each colon), never a JavaScript number.
    expect(exact["state"]).toMatch(/"student_answers": ?\{"p0_2_1": ?12345678901234567890\}/u);
  });

  it("writes JSON Lines with the stored JSON as it is", { timeout: 120_000 }, async () => {
    const out = path.join(directory, "course.jsonl");
    expect(await exportCommand(["--course", course, "--out", out])).toMatchObject({ status: 0, stderr: "" });
    const lines = (await readFile(out, "utf8")).split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(allRows);
    const sample = lines.map((line) => JSON.parse(line) as { username: string; block_key: string; state: Record<string, unknown> }).find((row) => row.username === "learner42" && row.block_key === problemKey(999))!;
    expect(sample.state).toMatchObject({ attempts: 42999 % 7, seed: 42999, score: { raw_earned: 42999 % 3, raw_possible: 2 } });
    const exactLine = lines.find((line) => line.includes('"username":"exact"') && line.includes(problemKey(0)))!;
    expect(exactLine).toMatch(/"p0_2_1": ?12345678901234567890\}/u);
    expect(exactLine).toMatch(/"raw_earned": ?1\.0,/u);
  });

  it("writes Parquet in row groups that a Parquet reader reads back", { timeout: 120_000 }, async () => {
    const out = path.join(directory, "course.parquet");
    expect(await exportCommand(["--course", course, "--format", "parquet", "--out", out])).toMatchObject({ status: 0, stderr: "" });
    const file = await asyncBufferFromFile(out);
    const metadata = await parquetMetadataAsync(file);
    expect(Number(metadata.num_rows)).toBe(allRows);
    expect(metadata.row_groups.length).toBeGreaterThanOrEqual(10);
    const rows = (await parquetReadObjects({ file, columns: ["username", "block_key", "state"] })) as Array<{ username: string; block_key: string; state: unknown }>;
    expect(rows).toHaveLength(allRows);
    const sample = rows.find((row) => row.username === "learner99" && row.block_key === problemKey(5))!;
    expect(typeof sample.state).toBe("string");
    expect(JSON.parse(sample.state as string)).toMatchObject({ attempts: 99005 % 7, seed: 99005 });
    const exact = rows.find((row) => row.username === "exact" && row.block_key === problemKey(0))!;
    expect(exact.state).toMatch(/"p0_2_1": ?12345678901234567890\}/u);
    const schema = Object.fromEntries(metadata.schema.map((element) => [element.name, element]));
    expect(schema["state"]).toMatchObject({ type: "BYTE_ARRAY", logical_type: { type: "JSON" } });
    expect(schema["username"]).toMatchObject({ type: "BYTE_ARRAY", converted_type: "UTF8" });
  });

  it("writes the problem responses report: one row per learner and problem, with answers, score and attempts", { timeout: 120_000 }, async () => {
    const out = path.join(directory, "answers.csv");
    expect(await exportCommand(["--course", course, "--answers", "--out", out])).toMatchObject({ status: 0, stderr: "" });
    const rows = parse(await readFile(out, "utf8"), { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(problemRows + 1);
    expect(Object.keys(rows[0]!)).toEqual(["username", "block_key", "attempts", "score", "max_score", "student_answers", "updated"]);
    expect(rows.some((row) => row["block_key"] === videoKey)).toBe(false);
    const sample = rows.find((row) => row["username"] === "learner3" && row["block_key"] === problemKey(17))!;
    expect(sample).toMatchObject({ attempts: String(3017 % 7), score: String(3017 % 3), max_score: "2" });
    expect(JSON.parse(sample["student_answers"]!)).toEqual({ p17_2_1: `choice_${3017 % 4}` });
    const exact = rows.find((row) => row["username"] === "exact")!;
    expect(exact).toMatchObject({ attempts: "1", score: "1", max_score: "2" });
    expect(exact["student_answers"]).toMatch(/^\{"p0_2_1": ?12345678901234567890\}$/u);
  });

  it("exits non-zero with the service's reason, and leaves no file behind", async () => {
    const out = path.join(directory, "refused.csv");
    const result = await exportCommand(["--course", "not a course key", "--out", out], "npx");
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^learnerstate export: InvalidArgument INVALID_COURSE_KEY: /u);
    expect((await readdir(directory)).filter((name) => name.startsWith("refused"))).toEqual([]);
  });

  it("explains a wrong command line with its usage, exit status 2", async () => {
    const result = await exportCommand(["--course", course, "--out", path.join(directory, "x.xlsx")], "npx");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--format must be one of csv, jsonl, parquet, not "xlsx"');
    expect(result.stderr).toContain("usage: learnerstate export");
  });
});

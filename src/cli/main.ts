#!/usr/bin/env node
// `learnerstate`: command-line tools of the learnerstate service (see README, "Export a course").
import { readFileSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { extname } from "node:path";
import { parseArgs } from "node:util";
import { Code } from "@connectrpc/connect";
import { LearnerStateError } from "../client/index.js";
import { exportCourse, type ExportRequest } from "./export-course.js";
import { exportProgress } from "./export-progress.js";
import type { ExportFormat } from "./table-writer.js";

const usage = `usage: learnerstate export --course <course key> --out <file>
         [--format csv|jsonl|parquet] [--block-type <type>] [--answers]
         [--target <host:port or URL>] [--token <JWT>]
         [--ca-file <PEM>] [--cert-file <PEM> --key-file <PEM>]

  --format      default: from the --out file's extension, else csv
  --answers     one row per (learner, problem) with student_answers, score,
                max_score and attempts, like the LMS's problem responses report
                (only problem blocks unless --block-type says otherwise)
  --target      default: $LEARNERSTATE_TARGET, else http://127.0.0.1:50051
  --token       default: $LEARNERSTATE_TOKEN; needs learner_state:bulk_read with
                a filter covering the course, or an administrator token
  --ca-file     for an https:// target: the CA certificates to trust
  --cert-file, --key-file
                the client certificate and key, for a server that asks for one`;

/** A mistake in the command line: reported with the usage, exit status 2. */
class UsageError extends Error {}

const formats: readonly ExportFormat[] = ["csv", "jsonl", "parquet"];

function exportRequestOf(args: readonly string[]): ExportRequest {
  const { values } = parseArgs({
    args: [...args],
    options: {
      course: { type: "string" },
      out: { type: "string" },
      format: { type: "string" },
      "block-type": { type: "string" },
      answers: { type: "boolean", default: false },
      target: { type: "string" },
      token: { type: "string" },
      "ca-file": { type: "string" },
      "cert-file": { type: "string" },
      "key-file": { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.course) throw new UsageError("--course is required");
  if (!values.out) throw new UsageError("--out is required");
  const format = values.format ?? (extname(values.out).slice(1).toLowerCase() || "csv");
  if (!formats.includes(format as ExportFormat)) throw new UsageError(`--format must be one of ${formats.join(", ")}, not "${format}"`);
  const token = values.token ?? process.env["LEARNERSTATE_TOKEN"];
  if ((values["cert-file"] === undefined) !== (values["key-file"] === undefined)) throw new UsageError("--cert-file and --key-file go together");
  const ca = values["ca-file"] === undefined ? {} : { ca: readFileSync(values["ca-file"]) };
  const identity = values["cert-file"] === undefined || values["key-file"] === undefined ? {} : { cert: readFileSync(values["cert-file"]), key: readFileSync(values["key-file"]) };
  const tls = "ca" in ca || "cert" in identity ? { tls: { ...ca, ...identity } } : {};
  return {
    connection: {
      target: values.target ?? process.env["LEARNERSTATE_TARGET"] ?? "http://127.0.0.1:50051",
      ...(token ? { token } : {}),
      ...tls,
    },
    courseKey: values.course,
    blockType: values["block-type"] ?? (values.answers ? "problem" : ""),
    format: format as ExportFormat,
    answers: values.answers,
    outPath: values.out,
  };
}

/** One line saying what went wrong: the service's code, reason and message, or the system's. */
function describe(error: unknown): string {
  if (error instanceof LearnerStateError) return `${Code[error.code]}${error.reason ? ` ${error.reason}` : ""}: ${error.rawMessage}`;
  return error instanceof Error ? error.message : String(error);
}

async function runExport(args: readonly string[]): Promise<number> {
  const request = exportRequestOf(args);
  // Written beside the target and renamed at the end, so a failed export leaves no file that looks complete.
  const partial = `${request.outPath}.partial`;
  const progress = exportProgress();
  try {
    const rows = await exportCourse({ ...request, outPath: partial }, progress);
    await rename(partial, request.outPath);
    if (process.stderr.isTTY) process.stderr.write(`wrote ${rows} rows to ${request.outPath}\n`);
    return 0;
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === "export") return await runExport(rest);
    throw new UsageError(command === undefined ? "no command given" : `unknown command "${command}"`);
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`learnerstate: ${error.message}\n${usage}\n`);
      return 2;
    }
    process.stderr.write(`learnerstate ${command}: ${describe(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));

import { createLearnerStateServices, Scope, type ConnectionOptions } from "../client/index.js";
import { openCsvWriter } from "./csv-table-writer.js";
import { answersTable, stateTable } from "./export-table.js";
import type { ExportProgress } from "./export-progress.js";
import { openJsonLinesWriter } from "./jsonl-table-writer.js";
import { openParquetWriter } from "./parquet-table-writer.js";
import type { ExportFormat, OpenTableWriter } from "./table-writer.js";

/** What `learnerstate export` was asked for. */
export interface ExportRequest {
  readonly connection: ConnectionOptions;
  readonly courseKey: string;
  /** Only blocks of this type ("" for every type). */
  readonly blockType: string;
  readonly format: ExportFormat;
  /** The problem-responses flavour: one row per (learner, problem) with answers, score and attempts. */
  readonly answers: boolean;
  readonly outPath: string;
}

const writers: Readonly<Record<ExportFormat, OpenTableWriter>> = {
  csv: openCsvWriter,
  jsonl: openJsonLinesWriter,
  parquet: openParquetWriter,
};

/**
 * Streams every learner's state in the course (IterAllForCourse, resuming
 * by itself after UNAVAILABLE) into `outPath`, a page at a time, and
 * resolves with the number of rows written. Errors are LearnerStateErrors
 * (from the service) or the file system's.
 */
export async function exportCourse(request: ExportRequest, progress: ExportProgress): Promise<number> {
  const { userState } = createLearnerStateServices(request.connection);
  const table = request.answers ? answersTable : stateTable;
  const writer = await writers[request.format](request.outPath, table.columns);
  let rows = 0;
  try {
    const pages = userState.iterAllForCourse({ courseKey: request.courseKey, blockType: request.blockType, scope: Scope.USER_STATE, stateForm: table.stateForm, batchSize: 1000 });
    for await (const page of pages) {
      const pageRows = page.blockStates.map((state) => table.rowOf(state)).filter((row) => row !== null);
      await writer.write(pageRows);
      rows += pageRows.length;
      progress.add(pageRows.length);
    }
  } finally {
    await writer.close();
    progress.stop();
  }
  return rows;
}

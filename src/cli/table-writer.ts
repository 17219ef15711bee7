import type { ExportColumn, ExportValue } from "./export-table.js";

/** Writes the rows of an export to a file as they come, a page at a time; `close` finishes the file. */
export interface TableWriter {
  /** Resolves once the rows are handed on, waiting while the file lags behind (back-pressure). */
  write(rows: ReadonlyArray<readonly ExportValue[]>): Promise<void>;
  close(): Promise<void>;
}

/** The formats `learnerstate export` writes. */
export type ExportFormat = "csv" | "jsonl" | "parquet";

/** Opens a writer of `columns` to `path`. */
export type OpenTableWriter = (path: string, columns: readonly ExportColumn[]) => Promise<TableWriter>;

/** A value as text, for formats without types: JSON as stored, null as empty. */
export function textOf(value: ExportValue): string | null {
  if (value === null) return null;
  if (typeof value === "object") return value.json;
  return String(value);
}

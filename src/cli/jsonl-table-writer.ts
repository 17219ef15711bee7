import { openFileStream } from "./file-stream.js";
import type { ExportValue } from "./export-table.js";
import type { OpenTableWriter } from "./table-writer.js";

/** A value in JSON: stored JSON texts go in as they are, so nothing is re-encoded. */
function jsonOf(value: ExportValue): string {
  return value !== null && typeof value === "object" ? value.json : JSON.stringify(value);
}

/** JSON Lines: one object per row, keyed by column name. */
export const openJsonLinesWriter: OpenTableWriter = async (path, columns) => {
  const file = await openFileStream(path);
  const keys = columns.map((column) => `${JSON.stringify(column.name)}:`);
  return {
    write: (rows) => file.write(rows.map((row) => `{${row.map((value, index) => keys[index] + jsonOf(value)).join(",")}}\n`).join("")),
    close: () => file.close(),
  };
};

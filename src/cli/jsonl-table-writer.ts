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
    write: (rows) => {
      // Concatenated, not mapped and joined: this runs for every exported row.
      let text = "";
      for (const row of rows) {
        text += "{";
        for (let index = 0; index < row.length; index += 1) text += (index === 0 ? "" : ",") + keys[index] + jsonOf(row[index]!);
        text += "}\n";
      }
      return file.write(text);
    },
    close: () => file.close(),
  };
};

import { stringify } from "csv-stringify/sync";
import { openFileStream } from "./file-stream.js";
import { textOf, type OpenTableWriter } from "./table-writer.js";

/** CSV (RFC 4180, csv-stringify) with a header row; JSON values as their text, missing values empty. */
export const openCsvWriter: OpenTableWriter = async (path, columns) => {
  const file = await openFileStream(path);
  await file.write(stringify([columns.map((column) => column.name)]));
  return {
    write: (rows) => file.write(stringify(rows.map((row) => row.map(textOf)))),
    close: () => file.close(),
  };
};

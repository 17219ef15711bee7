import { ParquetWriter, fileWriter, schemaFromColumnData } from "hyparquet-writer";
import type { ExportColumn } from "./export-table.js";
import { textOf, type OpenTableWriter } from "./table-writer.js";

/** Rows held before they are written as one row group: memory stays flat whatever the export's size. */
const rowGroupRows = 10_000;

type ColumnValues = Array<string | number | bigint | null>;

function valueFor(column: ExportColumn, value: Parameters<typeof textOf>[0]): string | number | bigint | null {
  if (value === null) return null;
  if (column.type === "INT64") return BigInt(value as number);
  if (column.type === "DOUBLE") return value as number;
  return textOf(value);
}

/**
 * Parquet (hyparquet-writer, snappy): text columns as UTF-8 strings, JSON
 * columns with the JSON converted type, every column nullable; a row group
 * per 10,000 rows.
 */
export const openParquetWriter: OpenTableWriter = async (path, columns) => {
  const schema = schemaFromColumnData({ columnData: columns.map((column) => ({ name: column.name, data: [], type: column.type, nullable: true })) });
  const writer = new ParquetWriter({ writer: fileWriter(path), schema, createdBy: "learnerstate export" });
  let pending: ColumnValues[] = columns.map(() => []);
  const flush = async () => {
    const rows = pending[0]!.length;
    if (rows === 0) return;
    const columnData = columns.map((column, index) => ({ name: column.name, data: pending[index]! }));
    pending = columns.map(() => []);
    await writer.write({ columnData, rowGroupSize: rows });
  };
  return {
    async write(row) {
      row.forEach((value, index) => pending[index]!.push(valueFor(columns[index]!, value)));
      if (pending[0]!.length >= rowGroupRows) await flush();
    },
    async close() {
      await flush();
      writer.finish();
    },
  };
};

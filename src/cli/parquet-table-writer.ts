import { ParquetWriter, fileWriter, type SchemaElement } from "hyparquet-writer";
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
 * The Parquet type of a column, nullable. JSON columns carry the JSON
 * logical type alone: with the JSON converted type, hyparquet-writer would
 * stringify the text again instead of storing it as it is.
 */
function schemaElementOf(column: ExportColumn): SchemaElement {
  const element = { name: column.name, repetition_type: "OPTIONAL" } as const;
  if (column.type === "JSON") return { ...element, type: "BYTE_ARRAY", logical_type: { type: "JSON" } };
  if (column.type === "STRING") return { ...element, type: "BYTE_ARRAY", converted_type: "UTF8" };
  return { ...element, type: column.type };
}

/** Parquet (hyparquet-writer, snappy), every column nullable, a row group per 10,000 rows. */
export const openParquetWriter: OpenTableWriter = async (path, columns) => {
  const schema: SchemaElement[] = [{ name: "root", num_children: columns.length }, ...columns.map(schemaElementOf)];
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
    async write(rows) {
      for (const row of rows) {
        row.forEach((value, index) => pending[index]!.push(valueFor(columns[index]!, value)));
        if (pending[0]!.length >= rowGroupRows) await flush();
      }
    },
    async close() {
      await flush();
      writer.finish();
    },
  };
};

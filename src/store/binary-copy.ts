// PostgreSQL's binary COPY format, read in place: where each field of each
// row lies in the bytes PostgreSQL sent, so that rows go on as bytes.

/** The signature, flags field and header extension length that open every binary COPY. */
const signature = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
const headerBytes = signature.length + 8;

/** Fields of rows located in one buffer of binary COPY data. */
export interface CopiedRows {
  readonly data: Buffer;
  readonly rows: number;
  readonly columns: number;
  /**
   * For row r and column c, the field's start at `2 * (r * columns + c)` and
   * its end after it; a NULL field has start -1.
   */
  readonly bounds: Int32Array;
}

function malformed(why: string): Error {
  return new Error(`binary COPY data ${why}`);
}

/**
 * Locates every field of `data`, the whole output of one `COPY … TO STDOUT
 * (FORMAT binary)` of rows of `columns` fields each. Throws on data of
 * another shape (a driver or server fault, never the caller's doing).
 */
export function locateCopiedRows(data: Buffer, columns: number): CopiedRows {
  if (data.length < headerBytes || !data.subarray(0, signature.length).equals(signature)) throw malformed("does not start with the PGCOPY signature");
  let offset = headerBytes + data.readUInt32BE(headerBytes - 4);
  let bounds = new Int32Array(2 * columns * 64);
  let rows = 0;
  for (;;) {
    if (offset + 2 > data.length) throw malformed("ends before its trailer");
    const fields = data.readInt16BE(offset);
    offset += 2;
    if (fields === -1) break;
    if (fields !== columns) throw malformed(`has a row of ${fields} fields, not ${columns}`);
    if (2 * columns * (rows + 1) > bounds.length) {
      const larger = new Int32Array(bounds.length * 2);
      larger.set(bounds);
      bounds = larger;
    }
    for (let column = 0; column < columns; column += 1) {
      const length = data.readInt32BE(offset);
      offset += 4;
      const at = 2 * (rows * columns + column);
      if (length < 0) {
        bounds[at] = -1;
        bounds[at + 1] = -1;
        continue;
      }
      if (offset + length > data.length) throw malformed("ends inside a field");
      bounds[at] = offset;
      bounds[at + 1] = offset + length;
      offset += length;
    }
    rows += 1;
  }
  return { data, rows, columns, bounds };
}

/** Microseconds between the Unix epoch and PostgreSQL's, 2000-01-01. */
const postgresEpochMicros = 946_684_800_000_000n;

/** The bigint field of row `row`, column `column` (binary `int8`). */
export function int8At(copied: CopiedRows, row: number, column: number): bigint {
  return copied.data.readBigInt64BE(copied.bounds[2 * (row * copied.columns + column)]!);
}

/** The `timestamptz` field of row `row`, column `column`, as microseconds since the Unix epoch. */
export function timestampMicrosAt(copied: CopiedRows, row: number, column: number): bigint {
  return int8At(copied, row, column) + postgresEpochMicros;
}

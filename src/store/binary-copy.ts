import { highWord, lowWord } from "../buffers/int64-words.js";

// PostgreSQL's binary row format (of binary COPY, and of a query's DataRow
// messages in binary), read in place: where each field of each row lies in
// the bytes PostgreSQL sent, so that rows go on as bytes.

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
  return locateRows(data, headerBytes + data.readUInt32BE(headerBytes - 4), columns, true);
}

/**
 * Locates every field of `data`, the bodies of a query's DataRow messages in
 * binary format, one after the other (a DataRow is laid out as a row of
 * binary COPY; rows-out.ts), of `columns` fields each.
 */
export function locateDataRows(data: Buffer, columns: number): CopiedRows {
  return locateRows(data, 0, columns, false);
}

/** Locates the rows of `data` from `offset` on: up to binary COPY's trailer when `trailed`, else to the end. */
function locateRows(data: Buffer, offset: number, columns: number, trailed: boolean): CopiedRows {
  let bounds = new Int32Array(2 * columns * 64);
  let rows = 0;
  for (;;) {
    if (!trailed && offset === data.length) break;
    if (offset + 2 > data.length) throw malformed(trailed ? "ends before its trailer" : "ends inside a row");
    const fields = data.readInt16BE(offset);
    offset += 2;
    if (fields === -1 && trailed) break;
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

/** Microseconds between the Unix epoch and PostgreSQL's, 2000-01-01 (946,684,800,000,000), as 32-bit halves. */
const postgresEpochHigh = 0x35d01;
const postgresEpochLow = 0x3b37e000;

/** Where the 8 bytes of row `row`'s field in column `column` start. */
function fieldAt(copied: CopiedRows, row: number, column: number): number {
  return copied.bounds[2 * (row * copied.columns + column)]!;
}

/**
 * Copies the `int8` field of row `row`, column `column` into element `index`
 * of a BigInt64Array given by its 32-bit `words` (see int64-words.ts).
 */
export function copyInt8(copied: CopiedRows, row: number, column: number, words: Int32Array, index: number): void {
  const at = fieldAt(copied, row, column);
  words[2 * index + highWord] = copied.data.readInt32BE(at);
  words[2 * index + lowWord] = copied.data.readInt32BE(at + 4);
}

/**
 * Copies the `timestamptz` field of row `row`, column `column` into element
 * `index` of a BigInt64Array given by its 32-bit `words`, as microseconds
 * since the Unix epoch: PostgreSQL's count plus the epochs' difference, added
 * in halves with the carry (wrapping at 64 bits, as a BigInt64Array stores).
 */
export function copyTimestampMicros(copied: CopiedRows, row: number, column: number, words: Int32Array, index: number): void {
  const at = fieldAt(copied, row, column);
  const low = copied.data.readUInt32BE(at + 4) + postgresEpochLow;
  const carry = low >= 0x1_0000_0000 ? 1 : 0;
  words[2 * index + lowWord] = low | 0;
  words[2 * index + highWord] = (copied.data.readInt32BE(at) + postgresEpochHigh + carry) | 0;
}

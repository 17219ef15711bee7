import type { Micros } from "./state-store.js";

/**
 * One version of a stored state: its row's identity, never reused (a state
 * deleted and written again is a new row), and its last write time, which
 * only increases for one row (state-sql.ts moves it on by 1 µs when the
 * clock did not). Together they change with every write and nothing else.
 */
export interface StateVersion {
  readonly position: bigint;
  readonly modified: Micros;
}

const scratch = Buffer.alloc(16);

/** Characters (ASCII, so also bytes) of every etag. */
export const etagLength = 22;

/** The opaque etag of a version: its two numbers as 16 bytes, base64url (22 characters). */
export function etagOf(position: bigint, modified: Micros): string {
  scratch.writeBigInt64BE(position, 0);
  scratch.writeBigInt64BE(modified, 8);
  return scratch.toString("base64url");
}

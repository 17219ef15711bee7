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

/** Characters (ASCII, so also bytes) of every etag. */
export const etagLength = 22;

const base64urlDigits = new TextEncoder().encode("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
const versionBytes = new Uint8Array(16);
const scratch = Buffer.alloc(etagLength);

function putWord(word: number, at: number): void {
  versionBytes[at] = word >>> 24;
  versionBytes[at + 1] = (word >>> 16) & 0xff;
  versionBytes[at + 2] = (word >>> 8) & 0xff;
  versionBytes[at + 3] = word & 0xff;
}

/**
 * Writes the etag of a version given as the 32-bit halves of its two numbers
 * (high with the sign, low; either signed or not) into `target` at `offset`:
 * the 16 bytes of position and time, big-endian, in unpadded base64url, the
 * {@link etagLength} ASCII bytes of {@link etagOf}. Bulk encoders call it
 * with the halves as they lie in a page, so no BigInt or string is made per row.
 */
export function writeEtag(target: Uint8Array, offset: number, positionHigh: number, positionLow: number, modifiedHigh: number, modifiedLow: number): void {
  putWord(positionHigh, 0);
  putWord(positionLow, 4);
  putWord(modifiedHigh, 8);
  putWord(modifiedLow, 12);
  let out = offset;
  for (let at = 0; at < 15; at += 3) {
    const group = (versionBytes[at]! << 16) | (versionBytes[at + 1]! << 8) | versionBytes[at + 2]!;
    target[out] = base64urlDigits[group >>> 18]!;
    target[out + 1] = base64urlDigits[(group >>> 12) & 0x3f]!;
    target[out + 2] = base64urlDigits[(group >>> 6) & 0x3f]!;
    target[out + 3] = base64urlDigits[group & 0x3f]!;
    out += 4;
  }
  const last = versionBytes[15]!;
  target[out] = base64urlDigits[last >>> 2]!;
  target[out + 1] = base64urlDigits[(last & 0x3) << 4]!;
}

/** The opaque etag of a version (see {@link writeEtag}). */
export function etagOf(position: bigint, modified: Micros): string {
  writeEtag(
    scratch,
    0,
    Number(BigInt.asIntN(32, position >> 32n)),
    Number(BigInt.asIntN(32, position)),
    Number(BigInt.asIntN(32, modified >> 32n)),
    Number(BigInt.asIntN(32, modified)),
  );
  return scratch.toString("latin1");
}

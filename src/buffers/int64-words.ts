// The elements of a BigInt64Array moved as two 32-bit halves each, so that
// bulk paths copy and read 64-bit integers without making a BigInt apiece
// (a heap object the garbage collector then sweeps).

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Where element i's low 32 bits are among its array's words: at `2 * i + lowWord`. */
export const lowWord = littleEndian ? 0 : 1;
/** Where element i's high 32 bits (with the sign) are among its array's words: at `2 * i + highWord`. */
export const highWord = 1 - lowWord;

/** The 32-bit words of `array`, two per element (see {@link lowWord}, {@link highWord}), over the same memory. */
export function wordsOf(array: BigInt64Array): Int32Array {
  return new Int32Array(array.buffer, array.byteOffset, 2 * array.length);
}

/** Element `index` of the array whose words are `words`, as a number when that is exact and not negative (below 2^53); otherwise -1. */
export function safeIntegerAt(words: Int32Array, index: number): number {
  const high = words[2 * index + highWord]!;
  if (high < 0 || high >= 0x200000) return -1;
  return high * 0x1_0000_0000 + (words[2 * index + lowWord]! >>> 0);
}

/** Splits `items` into consecutive arrays of at most `size` (none for an empty input). */
export function* batches<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

/**
 * Splits `items` into consecutive arrays of at most `size` items whose
 * `bytesOf` add up to at most `maxBytes`; an item larger than `maxBytes` comes
 * alone. None for an empty input.
 */
export function* batchesWithin<T>(items: readonly T[], size: number, maxBytes: number, bytesOf: (item: T) => number): Generator<T[]> {
  let batch: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const itemBytes = bytesOf(item);
    if (batch.length > 0 && (batch.length === size || bytes + itemBytes > maxBytes)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += itemBytes;
  }
  if (batch.length > 0) yield batch;
}

/** Splits `items` into consecutive arrays of at most `size` (none for an empty input). */
export function* batches<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

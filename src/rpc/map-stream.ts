/**
 * `source` with `convert` applied to each item as it is read. Written by
 * hand rather than as an async generator: a suspended generator keeps the
 * last item it saw alive, and a stream that waits for a slow reader would
 * hold its last page twice (source and converted) for nothing. Ending the
 * mapped stream early (`return()`) ends `source` too.
 */
export function mapStream<T, U>(source: AsyncIterable<T>, convert: (item: T) => U): AsyncIterable<U> {
  return {
    [Symbol.asyncIterator]() {
      const items = source[Symbol.asyncIterator]();
      return {
        async next(): Promise<IteratorResult<U>> {
          const read = await items.next();
          return read.done ? { done: true, value: undefined } : { done: false, value: convert(read.value) };
        },
        async return(): Promise<IteratorResult<U>> {
          await items.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

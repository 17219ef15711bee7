/**
 * `source` with each item replaced by the items `convert` makes of it, in
 * order, converted as they are read. Written by hand rather than as an async
 * generator: a suspended generator keeps the last item it saw alive, and a
 * stream that waits for a slow reader would hold its last page twice (source
 * and converted) for nothing. Ending the result early (`return()`) ends
 * `source` too.
 */
export function flatMapStream<T, U>(source: AsyncIterable<T>, convert: (item: T) => readonly U[]): AsyncIterable<U> {
  return {
    [Symbol.asyncIterator]() {
      const items = source[Symbol.asyncIterator]();
      let pending: U[] = [];
      return {
        async next(): Promise<IteratorResult<U>> {
          while (pending.length === 0) {
            const read = await items.next();
            if (read.done) return { done: true, value: undefined };
            pending = [...convert(read.value)];
          }
          return { done: false, value: pending.shift()! };
        },
        async return(): Promise<IteratorResult<U>> {
          pending = [];
          await items.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

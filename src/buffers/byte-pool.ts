/**
 * Buffers for the bytes of bulk-read pages, kept for reuse once given back.
 * A page of rows is hundreds of kilobytes outside V8's heap; allocating one
 * per page made the garbage collector run a full collection several times a
 * second under a few IterAll streams (V8 collects to free outside memory as
 * it grows), and the server's memory rose and fell with it. Buffers come in
 * powers of two from 64 KiB; at most {@link maxKeptBytes} wait for reuse, and
 * larger buffers are not kept.
 */
export class BytePool {
  private readonly free = new Map<number, Buffer[]>();
  private keptBytes = 0;

  constructor(
    /** Bytes of free buffers kept at most. */
    readonly maxKeptBytes: number,
    /** The largest buffer kept for reuse. */
    readonly maxBufferBytes: number,
  ) {}

  /** A buffer of at least `bytes` bytes, its contents undefined. */
  take(bytes: number): Buffer {
    const capacity = capacityFor(bytes);
    const kept = this.free.get(capacity)?.pop();
    if (kept === undefined) return Buffer.allocUnsafeSlow(capacity);
    this.keptBytes -= capacity;
    return kept;
  }

  /** Takes `buffer` back for reuse; nothing may read or write it after. */
  give(buffer: Buffer): void {
    const capacity = buffer.length;
    if (capacity !== capacityFor(capacity) || capacity > this.maxBufferBytes || this.keptBytes + capacity > this.maxKeptBytes) return;
    const list = this.free.get(capacity) ?? [];
    list.push(buffer);
    this.free.set(capacity, list);
    this.keptBytes += capacity;
  }
}

const smallestBuffer = 64 * 1024;

/** The power of two (at least 64 KiB) that holds `bytes`. */
function capacityFor(bytes: number): number {
  let capacity = smallestBuffer;
  while (capacity < bytes) capacity *= 2;
  return capacity;
}

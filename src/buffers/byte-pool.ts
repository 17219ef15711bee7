/**
 * Buffers for the bytes of bulk-read pages, kept for reuse once given back.
 * A page of rows is hundreds of kilobytes outside V8's heap; allocating one
 * per page made the garbage collector run a full collection several times a
 * second under a few IterAll streams (V8 collects to free outside memory as
 * it grows), and the server's memory rose and fell with it. Buffers come in
 * powers of two from 64 KiB; at most {@link maxKeptBytes} wait for reuse, and
 * larger buffers are not kept. A buffer nobody took again for
 * {@link idleMs} is let go, so that memory a burst of streams needed goes back
 * once the burst is over instead of staying with the process for good.
 */
export class BytePool {
  /** Free buffers by capacity, each list from the longest waiting to the last given back. */
  private readonly free = new Map<number, KeptBuffer[]>();
  private keptBytes = 0;
  private trimming: NodeJS.Timeout | null = null;

  constructor(
    /** Bytes of free buffers kept at most. */
    readonly maxKeptBytes: number,
    /** The largest buffer kept for reuse. */
    readonly maxBufferBytes: number,
    /** How long a free buffer is kept when nobody takes it. */
    readonly idleMs = 10_000,
  ) {}

  /** A buffer of at least `bytes` bytes, its contents undefined. */
  take(bytes: number): Buffer {
    const capacity = capacityFor(bytes);
    const kept = this.free.get(capacity)?.pop();
    if (kept === undefined) return Buffer.allocUnsafeSlow(capacity);
    this.keptBytes -= capacity;
    return kept.buffer;
  }

  /** Takes `buffer` back for reuse; nothing may read or write it after. */
  give(buffer: Buffer): void {
    const capacity = buffer.length;
    if (capacity !== capacityFor(capacity) || capacity > this.maxBufferBytes || this.keptBytes + capacity > this.maxKeptBytes) return;
    let list = this.free.get(capacity);
    if (list === undefined) this.free.set(capacity, (list = []));
    list.push({ buffer, since: performance.now() });
    this.keptBytes += capacity;
    this.trimming ??= setTimeout(() => this.trim(), this.idleMs).unref();
  }

  /** Lets go of the buffers that waited {@link idleMs} or longer; looks again later while any are kept. */
  private trim(): void {
    this.trimming = null;
    const givenBefore = performance.now() - this.idleMs;
    for (const [capacity, list] of this.free) {
      let idle = 0;
      while (idle < list.length && list[idle]!.since <= givenBefore) idle += 1;
      list.splice(0, idle);
      this.keptBytes -= idle * capacity;
    }
    if (this.keptBytes > 0) this.trimming = setTimeout(() => this.trim(), this.idleMs).unref();
  }
}

/** A free buffer and when it was given back. */
interface KeptBuffer {
  readonly buffer: Buffer;
  readonly since: number;
}

const smallestBuffer = 64 * 1024;

/** The power of two (at least 64 KiB) that holds `bytes`. */
function capacityFor(bytes: number): number {
  let capacity = smallestBuffer;
  while (capacity < bytes) capacity *= 2;
  return capacity;
}

import { describe, expect, it, vi } from "vitest";
import { BytePool } from "./byte-pool.js";

describe("BytePool", () => {
  it("hands out powers of two from 64 KiB that hold the bytes asked for", () => {
    const pool = new BytePool(1 << 24, 1 << 22);
    expect(pool.take(1).length).toBe(64 * 1024);
    expect(pool.take(64 * 1024).length).toBe(64 * 1024);
    expect(pool.take(64 * 1024 + 1).length).toBe(128 * 1024);
    expect(pool.take(3_000_000).length).toBe(4 * 1024 * 1024);
  });

  it("gives a returned buffer to the next taker of its size, and to no one twice", () => {
    const pool = new BytePool(1 << 24, 1 << 22);
    const first = pool.take(100_000);
    pool.give(first);
    expect(pool.take(70_000)).toBe(first);
    expect(pool.take(70_000)).not.toBe(first);
  });

  it("keeps no buffer above its largest size and none beyond its total", () => {
    const pool = new BytePool(256 * 1024, 128 * 1024);
    const large = pool.take(200_000);
    pool.give(large);
    expect(pool.take(200_000)).not.toBe(large);

    const kept = [pool.take(100_000), pool.take(100_000)];
    const beyond = pool.take(100_000);
    for (const buffer of [...kept, beyond]) pool.give(buffer);
    const reused = [pool.take(100_000), pool.take(100_000), pool.take(100_000)];
    expect(reused).toContain(kept[0]);
    expect(reused).toContain(kept[1]);
    expect(reused).not.toContain(beyond);
  });

  it("lets go of a buffer nobody took again for its idle time, and keeps one taken meanwhile", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "performance"] });
    try {
      const pool = new BytePool(1 << 24, 1 << 22, 100);
      const idle = pool.take(100_000);
      const busy = pool.take(300_000);
      pool.give(idle);
      pool.give(busy);
      vi.advanceTimersByTime(60);
      const again = pool.take(300_000);
      expect(again).toBe(busy);
      pool.give(again);
      vi.advanceTimersByTime(60);
      expect(pool.take(100_000)).not.toBe(idle);
      const kept = pool.take(300_000);
      expect(kept).toBe(busy);
      pool.give(kept);
      vi.advanceTimersByTime(300);
      expect(pool.take(300_000)).not.toBe(busy);
    } finally {
      vi.useRealTimers();
    }
  });
});

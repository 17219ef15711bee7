/** A span of time in which the test process itself did not run (epoch milliseconds). */
export interface Stall {
  readonly from: number;
  readonly to: number;
}

/** A running watch of the test process's own event loop. */
export interface StallWatch {
  /** Stalls seen so far. */
  stalls(): readonly Stall[];
  /** Whether the span from `startedAt` lasting `ms` overlapped a stall. */
  overlaps(startedAt: number, ms: number): boolean;
  stop(): void;
}

const tickMs = 5;

/**
 * Records every time this process's event loop went more than `thresholdMs`
 * without running a timer (a garbage collection, or a machine busy with
 * other work). A call timed across such a stall was slowed by the test, not
 * by the server: timing tests set those calls apart instead of blaming the
 * server for them.
 */
export function watchStalls(thresholdMs: number): StallWatch {
  const stalls: Stall[] = [];
  let last = Date.now();
  const ticker = setInterval(() => {
    const now = Date.now();
    if (now - last > thresholdMs) stalls.push({ from: last, to: now });
    last = now;
  }, tickMs);
  return {
    stalls: () => stalls,
    overlaps: (startedAt, ms) => stalls.some((stall) => startedAt < stall.to && startedAt + ms > stall.from),
    stop: () => clearInterval(ticker),
  };
}

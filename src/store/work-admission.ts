import { LearnerStateError } from "../domain/errors.js";
import type { CallLimits } from "../domain/state/index.js";

/** Options of {@link createWorkAdmission}. */
export interface WorkAdmissionOptions {
  /** Pieces of database work that run at once at most: the pool's size, since more would only wait for a connection. */
  readonly limit: number;
  /** Longest a new call's work may be expected to wait for a slot; a call expected to wait longer is refused at once. */
  readonly maxWaitMs: number;
}

/** Why a call was refused. */
export type RefusalReason = "would_wait_too_long" | "waited_too_long";

/** What admission is doing right now, for metrics. */
export interface AdmissionFigures {
  readonly limit: number;
  /** Pieces of work running. */
  readonly running: number;
  /** Pieces of work waiting for a slot. */
  readonly waiting: number;
  /** Work admitted since start. */
  readonly admitted: number;
  /** Calls refused since start, by reason. */
  readonly refused: Readonly<Record<RefusalReason, number>>;
}

/** Bounds the database work in progress (see {@link createWorkAdmission}). */
export interface WorkAdmission {
  /**
   * Waits for a slot for one piece of `call`'s database work and returns the
   * function that gives it back (to be called once the work is over). Throws
   * OVERLOADED (RESOURCE_EXHAUSTED) at once, or after at most about
   * `maxWaitMs`, for a call none of whose work was admitted yet: nothing was
   * sent to the database, and `retryAfterMs` says when to try again.
   */
  enter(call: CallLimits): Promise<() => void>;
  /**
   * The OVERLOADED error a new call gets now, before it does any work (its
   * request not even checked), when its first piece of work would be refused
   * at once; null when it may go on. Refusing there costs the server least.
   */
  turnAway(): LearnerStateError | null;
  figures(): AdmissionFigures;
  /** Calls `listener` with the milliseconds each admitted piece of work waited. */
  onAdmitted(listener: (waitedMs: number) => void): () => void;
}

interface Waiter {
  /** When it joined the line (performance.now()). */
  readonly since: number;
  readonly admit: () => void;
  readonly refuse: (error: unknown) => void;
}

// How fast the average duration of a piece of work follows new samples.
const durationWeight = 0.05;

/**
 * Creates the admission gate in front of the database. At most `limit`
 * pieces of work run at once. A call whose first piece of work finds no free
 * slot may wait if the work ahead of it is expected to be done within
 * `maxWaitMs` (its position in the line divided by the limit, times the
 * average duration of a piece of work measured so far); otherwise it is
 * refused at once, before any database work, and so is one that has waited
 * `maxWaitMs` without a slot. Work of calls already admitted (the next page
 * of a stream, the second statement of a call) goes ahead of new calls and
 * is never refused: a flood of new calls cannot starve what is in progress.
 * A new call that has waited half of `maxWaitMs` goes ahead of it in turn, so
 * that running streams, which always have a next page, cannot starve new
 * ones either.
 * Being refused here is not a database failure and never counts towards the
 * circuit breaker.
 */
export function createWorkAdmission(options: WorkAdmissionOptions): WorkAdmission {
  const { limit, maxWaitMs } = options;
  // Calls one of whose pieces of work was admitted: their next pieces go first.
  const admittedCalls = new WeakSet<CallLimits>();
  const continuing: Waiter[] = [];
  const fresh: Waiter[] = [];
  const listeners = new Set<(waitedMs: number) => void>();
  let running = 0;
  let admitted = 0;
  const refused: Record<RefusalReason, number> = { would_wait_too_long: 0, waited_too_long: 0 };
  let averageMs = 0;

  const expectedWaitMs = (position: number) => Math.ceil(position / limit) * averageMs;

  function overloaded(reason: RefusalReason): LearnerStateError {
    refused[reason] += 1;
    // Jittered, so that callers turned away together do not all come back together.
    const retryAfterMs = Math.round(Math.max(10, expectedWaitMs(fresh.length + 1)) * (0.5 + Math.random()));
    return new LearnerStateError("resource-exhausted", "OVERLOADED", "the service is at its capacity and did not start this call; retry after the delay given", {
      retryAfterMs: String(retryAfterMs),
    });
  }

  function start(call: CallLimits, since: number): () => void {
    running += 1;
    admitted += 1;
    admittedCalls.add(call);
    const started = performance.now();
    const waitedMs = started - since;
    for (const listener of listeners) listener(waitedMs);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      running -= 1;
      const tookMs = performance.now() - started;
      averageMs = averageMs === 0 ? tookMs : averageMs + durationWeight * (tookMs - averageMs);
      // Continuing work goes first, but a new call that has waited half its
      // longest goes before it: new streams are not starved by running ones.
      const oldestFresh = fresh[0];
      const freshFirst = oldestFresh !== undefined && (continuing.length === 0 || performance.now() - oldestFresh.since >= maxWaitMs / 2);
      const next = freshFirst ? fresh.shift() : continuing.shift();
      next?.admit();
    };
  }

  return {
    enter(call) {
      const since = performance.now();
      if (running < limit && continuing.length === 0 && fresh.length === 0) return Promise.resolve(start(call, since));
      const isContinuing = admittedCalls.has(call);
      if (!isContinuing && expectedWaitMs(fresh.length + 1) > maxWaitMs) return Promise.reject(overloaded("would_wait_too_long"));
      return new Promise((resolve, reject) => {
        const line = isContinuing ? continuing : fresh;
        let timer: NodeJS.Timeout | undefined;
        const leaveLine = () => {
          clearTimeout(timer);
          const index = line.indexOf(waiter);
          if (index >= 0) line.splice(index, 1);
          call.signal?.removeEventListener("abort", onAbort);
        };
        const waiter: Waiter = {
          since,
          admit() {
            leaveLine();
            resolve(start(call, since));
          },
          refuse(error) {
            leaveLine();
            reject(error);
          },
        };
        // A caller that goes away leaves the line; its call ends as CANCELED.
        const onAbort = () => waiter.refuse(call.signal?.reason);
        call.signal?.addEventListener("abort", onAbort, { once: true });
        if (!isContinuing) timer = setTimeout(() => waiter.refuse(overloaded("waited_too_long")), maxWaitMs);
        line.push(waiter);
      });
    },
    turnAway() {
      if (running < limit || expectedWaitMs(fresh.length + 1) <= maxWaitMs) return null;
      return overloaded("would_wait_too_long");
    },
    figures: () => ({ limit, running, waiting: continuing.length + fresh.length, admitted, refused: { ...refused } }),
    onAdmitted(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

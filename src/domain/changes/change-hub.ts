import { LearnerStateError } from "../errors.js";
import { backgroundWork } from "../state/index.js";
import type { ChangeFeedStore } from "./change-feed-store.js";
import type { StateChange } from "./state-change.js";
import { expired, positionUnknown } from "./feed-errors.js";
import { expiredBy, positionAt, type FeedPosition } from "./feed-position.js";
import { covers, parseTxSnapshot, type TxSnapshot } from "./tx-snapshot.js";

/** One page the hub read: changes finished in `to` but not in `from`, with ids above `afterId`. */
export interface FeedPage {
  /** Numbers pages in the order they were read, from 0. */
  readonly seq: number;
  readonly from: TxSnapshot;
  readonly to: TxSnapshot;
  readonly afterId: bigint;
  /** The last id the read looked at (see ChangesRead.lastId): the page holds every change of the batch up to it after `afterId`. */
  readonly lastId: bigint;
  readonly changes: readonly StateChange[];
  /** Whether it holds the last changes between `from` and `to`. */
  readonly endsBatch: boolean;
}

/** The position after reading `page`. */
export function positionAfter(page: FeedPage): FeedPosition {
  return page.endsBatch ? { from: page.to, to: null, afterId: 0n } : { from: page.from, to: page.to, afterId: page.lastId };
}

/** How a hub reads and how much it keeps. */
export interface ChangeHubOptions {
  /** Changes a read looks at, at most. */
  readonly pageChanges: number;
  /** Changes kept for watchers that are behind, at most (older pages are dropped; such watchers read for themselves). */
  readonly keptChanges: number;
  /** Pages kept at most (empty ones included). */
  readonly keptPages: number;
  /** Longest pause between reads when no signal comes: signals may be late or lost. */
  readonly pollIntervalMs: number;
  /** Shortest pause between the starts of two reads, so that a burst of signals makes one read. */
  readonly minPollGapMs: number;
  /** Called on each read of the changes (for metrics). */
  readonly onRead?: (reader: "shared") => void;
}

/** Where a watcher's next page is: a page of the hub's (maybe not read yet), or nowhere (it reads for itself). */
export type PageLocation = { readonly seq: number; readonly position: FeedPosition } | null;

/**
 * The shared reader of one course's changes (or of every change) on this
 * server: one read per signal (or per poll interval) whatever the number of
 * watchers, its pages kept in a bounded ring that every watcher reads at its
 * own pace. A watcher that falls out of the ring, or starts from an older
 * position, reads the database itself until it catches up (see
 * change-feed.ts).
 */
export class ChangeHub {
  private boundary: TxSnapshot | null = null;
  private readonly pages: FeedPage[] = [];
  private firstSeq = 0;
  private keptChanges = 0;
  private failure: Error | null = null;
  private readonly listeners = new Set<() => void>();
  private running = false;
  private rerun = false;
  private timer: NodeJS.Timeout | null = null;
  private timerDue = 0;
  private lastStart = 0;
  /** Reads started, ended, and the number of the last that succeeded. */
  private started = 0;
  private completed = 0;
  private succeeded = 0;
  private closed = false;

  constructor(
    private readonly store: ChangeFeedStore,
    private readonly contexts: readonly string[] | null,
    private readonly options: ChangeHubOptions,
  ) {
    this.wake();
  }

  /** The number the next page will have. */
  get nextSeq(): number {
    return this.firstSeq + this.pages.length;
  }

  /** Asks for a read soon (at most one per minPollGapMs; one running now is followed by another). */
  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.schedule(Math.max(0, this.lastStart + this.options.minPollGapMs - Date.now()));
  }

  /** Stops reading; watchers still waiting get UNAVAILABLE. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.fail(new LearnerStateError("unavailable", "SERVER_SHUTTING_DOWN", "the change feed is closing; resume on another server"));
  }

  /**
   * The hub's position after a read that started after this call: what
   * "now" is for a watcher that starts now, and a snapshot to compare a
   * resume position with. Throws what that read failed with.
   */
  async freshBoundary(signal: AbortSignal | null): Promise<TxSnapshot> {
    const needed = this.started + 1;
    this.wake();
    while (this.succeeded < needed) {
      if (this.failure !== null && (this.completed >= needed || this.closed)) throw this.failure;
      await this.changed(signal, Number.POSITIVE_INFINITY);
    }
    return this.boundary!;
  }

  /**
   * Where a watcher at `position` reads on in the ring: the page holding its
   * next changes, or the next page to come when it is at the hub's boundary.
   * Null when the ring does not hold its place (it is older, or another
   * server's), and it must read the database itself.
   */
  locate(position: FeedPosition): PageLocation {
    const { from, to, afterId } = position;
    for (const page of this.pages) {
      if (page.from.text !== from.text) continue;
      if (to === null) {
        if (page.afterId === 0n) return { seq: page.seq, position };
        continue;
      }
      if (page.to.text !== to.text || afterId < page.afterId || afterId > page.lastId) continue;
      if (afterId < page.lastId) return { seq: page.seq, position };
      return { seq: page.seq + 1, position: positionAfter(page) };
    }
    if (to === null && this.boundary !== null && this.boundary.text === from.text) return { seq: this.nextSeq, position };
    return null;
  }

  /** The hub's boundary: everything finished in it has been read into the ring. Null before the first read. */
  currentBoundary(): TxSnapshot | null {
    return this.boundary;
  }

  /**
   * Page `seq`: at once when the ring holds it, "evicted" when the ring no
   * longer does, "timeout" when it has not been read within `waitMs`.
   * Throws the hub's last read failure, and the signal's reason when aborted.
   */
  async page(seq: number, signal: AbortSignal | null, waitMs: number): Promise<FeedPage | "evicted" | "timeout"> {
    const until = Date.now() + waitMs;
    for (;;) {
      if (seq < this.firstSeq) return "evicted";
      if (seq < this.nextSeq) return this.pages[seq - this.firstSeq]!;
      if (this.failure !== null) throw this.failure;
      const left = until - Date.now();
      if (left <= 0) return "timeout";
      await this.changed(signal, left);
    }
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    const due = Date.now() + delayMs;
    if (this.timer !== null) {
      if (this.timerDue <= due) return;
      clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.read();
    }, delayMs);
  }

  /** Reads every change committed since the boundary into the ring, page by page, and moves the boundary on. */
  private async read(): Promise<void> {
    if (this.closed) return;
    this.running = true;
    this.rerun = false;
    this.started += 1;
    const number = this.started;
    this.lastStart = Date.now();
    let retryMs = this.options.pollIntervalMs;
    try {
      const to = parseTxSnapshot(await this.store.currentSnapshot(backgroundWork));
      if (to === null) throw new Error("the database answered a snapshot that does not parse");
      const from = this.boundary;
      if (from !== null) {
        // The database went back (a failover that lost transactions): the
        // ring's positions name transactions it never had. Watchers are told
        // (OUT_OF_RANGE); the hub starts again from now.
        if (!covers(to, from)) throw this.restart(to, positionUnknown());
        let afterId = 0n;
        for (;;) {
          this.options.onRead?.("shared");
          const { changes, lastId, complete: endsBatch, removedBefore } = await this.store.readChanges(backgroundWork, this.contexts, from.text, to.text, afterId, this.options.pageChanges);
          if (this.closed) return;
          // Retention removed changes the hub had not read (a very short retention, or reads that failed for that long).
          if (expiredBy(positionAt(from), removedBefore)) throw this.restart(to, expired());
          this.append({ seq: this.nextSeq, from, to, afterId, lastId, changes, endsBatch });
          if (endsBatch) break;
          afterId = lastId;
        }
      }
      if (this.closed) return;
      this.boundary = to;
      this.failure = null;
      this.succeeded = number;
    } catch (error) {
      if (this.closed) return;
      // A busy server turned the read away: nothing is wrong, read again soon.
      if (error instanceof LearnerStateError && error.kind === "resource-exhausted") retryMs = this.options.minPollGapMs * 5;
      else this.failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      this.running = false;
      this.completed += 1;
      this.notify();
      if (this.rerun) this.wake();
      else this.schedule(retryMs);
    }
  }

  /** Drops the ring and the boundary (watchers in the ring find theirs evicted), moves the boundary to `to`, and returns `error` to fail the read with. */
  private restart(to: TxSnapshot, error: Error): Error {
    this.firstSeq += this.pages.length;
    this.pages.length = 0;
    this.keptChanges = 0;
    this.boundary = to;
    return error;
  }

  private append(page: FeedPage): void {
    this.pages.push(page);
    this.keptChanges += page.changes.length;
    while (this.pages.length > 1 && (this.keptChanges > this.options.keptChanges || this.pages.length > this.options.keptPages)) {
      this.keptChanges -= this.pages.shift()!.changes.length;
      this.firstSeq += 1;
    }
    this.notify();
  }

  private fail(error: Error): void {
    this.failure = error;
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Resolves at the hub's next news (a page, a read's end, a failure) or after `waitMs`; rejects when `signal` aborts. */
  private changed(signal: AbortSignal | null, waitMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.listeners.delete(done);
        clearTimeout(timer);
        signal?.removeEventListener("abort", aborted);
        resolve();
      };
      const aborted = () => {
        done();
        reject(signal?.reason);
      };
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = Number.isFinite(waitMs) ? setTimeout(done, waitMs) : undefined;
      this.listeners.add(done);
      signal?.addEventListener("abort", aborted, { once: true });
    });
  }
}

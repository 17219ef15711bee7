import type { CallLimits } from "../state/index.js";
import type { ChangeFeedStore } from "./change-feed-store.js";
import { ChangeHub, positionAfter, type ChangeHubOptions, type FeedPage } from "./change-hub.js";
import { expiredBy, positionAt, type FeedPosition } from "./feed-position.js";
import type { StateChange } from "./state-change.js";
import { LearnerStateError } from "../errors.js";
import { expired, positionUnknown } from "./feed-errors.js";
import { covers, type TxSnapshot } from "./tx-snapshot.js";
import { passes, type WatchFilter } from "./watch-filter.js";

/** What a watcher is sent at a time: changes that pass its filter, and the position after them. */
export interface FeedBatch {
  readonly changes: readonly StateChange[];
  readonly position: FeedPosition;
}

/** Options of {@link createChangeFeed}. */
export interface ChangeFeedOptions extends ChangeHubOptions {
  /** Longest a watcher goes without a message: one with no changes (and a newer position) is sent then. */
  readonly heartbeatMs: number;
  /** How long a hub with no watchers lives on (a watcher that reconnects finds its pages). */
  readonly idleHubMs: number;
  /** Largest message of changes, in bytes: gRPC clients refuse messages over 4 MiB by default. */
  readonly maxBatchBytes: number;
  /** Called on each read of the changes: by a shared reader, or by a watcher catching up by itself (for metrics). */
  readonly onRead?: (reader: "shared" | "catch-up") => void;
}

/** The change feed's rules: who reads what, in which order, from where. */
export interface ChangeFeed {
  /**
   * The changes `filter` selects committed after `start` (null: after now),
   * in commit order per stored state, each once, with the position after
   * each batch; from now, first a batch with no changes at the starting
   * position. Never
   * ends by itself: a batch with no changes comes at least every
   * heartbeatMs. Throws OUT_OF_RANGE (CHANGE_FEED_POSITION_UNKNOWN) for a
   * position the database never reached, and (CHANGE_FEED_EXPIRED) when
   * retention removed changes after the position; "unavailable" when the
   * database fails (resume from the last position).
   */
  watch(call: CallLimits, filter: WatchFilter, start: FeedPosition | null): AsyncIterable<FeedBatch>;
  /** Open watches, and the shared readers (hubs) serving them, idle ones included. */
  figures(): { watchers: number; readers: number };
  /** Stops every hub; watchers end with UNAVAILABLE. */
  close(): void;
}

/**
 * Bytes a change takes in a message, at most (UTF-8 takes at most three
 * bytes per UTF-16 unit; the rest covers tags, lengths and the time).
 */
function approximateBytes(change: StateChange): number {
  let bytes = 64 + 3 * (change.username.length + change.stateKey.length + change.contextKey.length + change.blockType.length);
  for (const name of change.fieldNames) bytes += 4 + 3 * name.length;
  return bytes;
}

/** Whether `page` goes on from `position` (the ring's next page for a watcher there). */
function continues(page: FeedPage, position: FeedPosition): boolean {
  if (page.from.text !== position.from.text) return false;
  return position.to === null ? page.afterId === 0n : page.to.text === position.to.text && page.afterId <= position.afterId;
}

/** Creates the feed over `store`: one hub per watched course (or for every change) on this server, woken by the store's signals. */
export function createChangeFeed(store: ChangeFeedStore, options: ChangeFeedOptions): ChangeFeed {
  const hubs = new Map<string, { hub: ChangeHub; contexts: readonly string[] | null; watchers: number; idle: NodeJS.Timeout | null }>();
  // Signals are listened to while there are hubs: looking for other servers' changes costs the database.
  let stopSignals: (() => void) | null = null;
  let closed = false;
  const wakeHubs = (context: string) => {
    for (const entry of hubs.values()) if (entry.contexts === null || entry.contexts.includes(context)) entry.hub.wake();
  };

  function acquire(contexts: readonly string[] | null) {
    if (closed) throw new LearnerStateError("unavailable", "SERVER_SHUTTING_DOWN", "the server is shutting down; watch on another server");
    const name = JSON.stringify(contexts);
    let entry = hubs.get(name);
    if (entry === undefined) {
      entry = { hub: new ChangeHub(store, contexts, options), contexts, watchers: 0, idle: null };
      hubs.set(name, entry);
      stopSignals ??= store.onCommitted(wakeHubs);
    }
    if (entry.idle !== null) clearTimeout(entry.idle);
    entry.idle = null;
    entry.watchers += 1;
    const held = entry;
    return {
      hub: held.hub,
      release() {
        held.watchers -= 1;
        if (held.watchers > 0) return;
        held.idle = setTimeout(() => {
          held.hub.close();
          if (hubs.get(name) === held) hubs.delete(name);
          if (hubs.size > 0) return;
          stopSignals?.();
          stopSignals = null;
        }, options.idleHubMs);
      },
    };
  }

  async function* watch(call: CallLimits, filter: WatchFilter, start: FeedPosition | null): AsyncGenerator<FeedBatch> {
    const { hub, release } = acquire(filter.contexts);
    const { signal } = call;
    try {
      const now = await hub.freshBoundary(signal);
      if (start !== null && !covers(now, start.to ?? start.from)) throw positionUnknown();
      let position = start ?? positionAt(now);
      // A watch from now opens with its starting position; a resumed one has it already.
      if (start === null) yield { changes: [], position };
      let lastSent = Date.now();
      // The ring page read next, or null while reading the database itself.
      let seq: number | null = null;

      // The changes of one read of the batch between `from` and `to` (a ring
      // page, or the watcher's own read) that pass the filter, in messages of
      // at most maxBatchBytes, then the position after the read (alone, once
      // a heartbeat is due, when no change passed).
      function* deliver(changes: readonly StateChange[], from: TxSnapshot, to: TxSnapshot, after: FeedPosition): Generator<FeedBatch> {
        const selected = changes.filter((change) => passes(filter, change));
        let first = 0;
        let bytes = 0;
        for (const [index, change] of selected.entries()) {
          const size = approximateBytes(change);
          if (index > first && bytes + size > options.maxBatchBytes) {
            position = { from, to, afterId: selected[index - 1]!.id };
            lastSent = Date.now();
            yield { changes: selected.slice(first, index), position };
            first = index;
            bytes = 0;
          }
          bytes += size;
        }
        position = after;
        if (first === selected.length && Date.now() - lastSent < options.heartbeatMs) return;
        lastSent = Date.now();
        yield { changes: selected.slice(first), position };
      }

      for (;;) {
        if (seq === null) {
          const located = hub.locate(position);
          if (located !== null) {
            seq = located.seq;
            position = located.position;
          }
        }
        if (seq !== null) {
          const page = await hub.page(seq, signal, Math.max(0, lastSent + options.heartbeatMs - Date.now()));
          if (page === "timeout") {
            yield* deliver([], position.from, position.to ?? position.from, position);
            continue;
          }
          if (page === "evicted" || !continues(page, position)) {
            // Out of the ring (too slow, or a page it does not follow on from): find its place again, or read the database.
            seq = null;
            if (hub.locate(position) !== null) continue;
          } else {
            seq += 1;
            const sameBatch = position.to !== null && page.to.text === position.to.text;
            yield* deliver(sameBatch ? page.changes.filter((change) => change.id > position.afterId) : page.changes, page.from, page.to, positionAfter(page));
            continue;
          }
        }
        // Behind the ring: read the database up to the hub's boundary, then join it.
        if (position.to === null) {
          let boundary = hub.currentBoundary();
          if (boundary === null || !covers(boundary, position.from)) {
            boundary = await hub.freshBoundary(signal);
            // The database is behind the position: it never had transactions the position saw finished.
            if (!covers(boundary, position.from)) throw positionUnknown();
          }
          if (boundary.text === position.from.text) continue; // at the hub's head: the ring goes on from here
          position = { from: position.from, to: boundary, afterId: 0n };
        }
        const reading = position;
        const to = reading.to!;
        options.onRead?.("catch-up");
        const read = await store.readChanges(call, filter.contexts, reading.from.text, to.text, reading.afterId, options.pageChanges);
        if (expiredBy(reading, read.removedBefore)) throw expired();
        yield* deliver(read.changes, reading.from, to, read.complete ? positionAt(to) : { ...reading, afterId: read.lastId });
      }
    } finally {
      release();
    }
  }

  return {
    watch,
    figures() {
      let watchers = 0;
      for (const entry of hubs.values()) watchers += entry.watchers;
      return { watchers, readers: hubs.size };
    },
    close() {
      closed = true;
      stopSignals?.();
      stopSignals = null;
      for (const entry of hubs.values()) {
        if (entry.idle !== null) clearTimeout(entry.idle);
        entry.hub.close();
      }
      hubs.clear();
    },
  };
}

import { LearnerStateError } from "../errors.js";
import type { CallLimits } from "../state/index.js";
import type { ChangeFeedStore } from "./change-feed-store.js";
import { ChangeHub, positionAfter, type ChangeHubOptions, type FeedPage } from "./change-hub.js";
import { expiredBy, positionAt, type FeedPosition } from "./feed-position.js";
import type { StateChange } from "./state-change.js";
import { covers } from "./tx-snapshot.js";
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

const positionUnknown = () =>
  new LearnerStateError(
    "out-of-range",
    "CHANGE_FEED_POSITION_UNKNOWN",
    "resume_token: the token names transactions this database never had (a failover that lost transactions, or another database); read the state again and watch from now",
  );

const expired = () =>
  new LearnerStateError(
    "out-of-range",
    "CHANGE_FEED_EXPIRED",
    "resume_token: changes after this token were removed by the change feed's retention; read the state again and watch from now",
  );

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
  const wakeHubs = (context: string) => {
    for (const entry of hubs.values()) if (entry.contexts === null || entry.contexts.includes(context)) entry.hub.wake();
  };

  function acquire(contexts: readonly string[] | null) {
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
          hubs.delete(name);
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

      const deliver = (changes: readonly StateChange[], after: FeedPosition): FeedBatch | null => {
        position = after;
        const selected = changes.filter((change) => passes(filter, change));
        if (selected.length === 0 && Date.now() - lastSent < options.heartbeatMs) return null;
        lastSent = Date.now();
        return { changes: selected, position };
      };

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
            const batch = deliver([], position);
            if (batch !== null) yield batch;
            continue;
          }
          if (page === "evicted" || !continues(page, position)) {
            seq = null;
          } else {
            seq += 1;
            const sameBatch = position.to !== null && page.to.text === position.to.text;
            const batch = deliver(sameBatch ? page.changes.filter((change) => change.id > position.afterId) : page.changes, positionAfter(page));
            if (batch !== null) yield batch;
            continue;
          }
        }
        // Behind the ring: read the database up to the hub's boundary, then join it.
        if (position.to === null) {
          const boundary = hub.currentBoundary();
          if (boundary === null || boundary.text === position.from.text || !covers(boundary, position.from)) {
            await hub.freshBoundary(signal);
            continue;
          }
          position = { from: position.from, to: boundary, afterId: 0n };
        }
        const reading = position;
        options.onRead?.("catch-up");
        const read = await store.readChanges(call, filter.contexts, reading.from.text, reading.to!.text, reading.afterId, options.pageChanges);
        if (expiredBy(reading, read.removedBefore)) throw expired();
        const ends = read.changes.length < options.pageChanges;
        const after = ends ? positionAt(reading.to!) : { ...reading, afterId: read.changes[read.changes.length - 1]!.id };
        const batch = deliver(read.changes, after);
        if (batch !== null) yield batch;
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

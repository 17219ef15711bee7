import type { TxSnapshot } from "./tx-snapshot.js";

/**
 * How far a watcher has read the feed: every change finished in `from`,
 * and, when `to` is set, those finished in `to` (but not in `from`) up to id
 * `afterId`. Changes committed between two snapshots are read by id, which
 * orders the changes of one state as they committed (state-sql.ts takes the
 * id under the state's row lock).
 */
export interface FeedPosition {
  readonly from: TxSnapshot;
  readonly to: TxSnapshot | null;
  readonly afterId: bigint;
}

/** The position right at `snapshot`. */
export const positionAt = (snapshot: TxSnapshot): FeedPosition => ({ from: snapshot, to: null, afterId: 0n });

/**
 * Whether retention removing every change of transactions below
 * `removedBefore` may have removed one after `position`: one of a
 * transaction that had not finished in its `from` snapshot.
 */
export function expiredBy(position: FeedPosition, removedBefore: bigint): boolean {
  const { from } = position;
  return removedBefore > from.xmax || from.running.some((xid) => xid < removedBefore);
}

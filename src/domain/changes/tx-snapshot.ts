/**
 * A PostgreSQL snapshot (pg_snapshot): which transactions had committed when
 * it was taken. Every transaction id below `xmin` had finished, none from
 * `xmax` on had started, and of those between, the ones in `running` were
 * still running. The change feed's positions are snapshots: a change belongs
 * after a position exactly when its transaction is not visible in it.
 */
export interface TxSnapshot {
  readonly xmin: bigint;
  readonly xmax: bigint;
  /** Transaction ids in progress, ascending, each in [xmin, xmax). */
  readonly running: readonly bigint[];
  /** PostgreSQL's text form, `xmin:xmax:xip,xip`, which the database reads back. */
  readonly text: string;
}

const snapshotPattern = /^(\d{1,20}):(\d{1,20}):((?:\d{1,20}(?:,\d{1,20})*)?)$/u;

/** The snapshot `text` writes (pg_snapshot's text form); null when it is not one. */
export function parseTxSnapshot(text: string): TxSnapshot | null {
  const match = snapshotPattern.exec(text);
  if (match === null) return null;
  const xmin = BigInt(match[1]!);
  const xmax = BigInt(match[2]!);
  const running = match[3] === "" ? [] : match[3]!.split(",").map(BigInt);
  if (xmin > xmax) return null;
  for (let index = 0; index < running.length; index += 1) {
    const xid = running[index]!;
    if (xid < xmin || xid >= xmax || (index > 0 && xid <= running[index - 1]!)) return null;
  }
  return { xmin, xmax, running, text };
}

/** Whether transaction `xid` had committed (or aborted) when `snapshot` was taken: pg_visible_in_snapshot. */
export function finishedIn(xid: bigint, snapshot: TxSnapshot): boolean {
  if (xid < snapshot.xmin) return true;
  if (xid >= snapshot.xmax) return false;
  return !snapshot.running.includes(xid);
}

/**
 * Whether everything finished in `earlier` is finished in `later`: true for
 * two snapshots of one database taken in that order (or equal), false when
 * `earlier` saw a transaction that `later` does not (it was taken later, or
 * on a database that never had that transaction).
 */
export function covers(later: TxSnapshot, earlier: TxSnapshot): boolean {
  if (earlier.xmax > later.xmax) return false;
  return later.running.every((xid) => xid >= earlier.xmax || !finishedIn(xid, earlier));
}

import type { ChangeFeedStore, ChangeKind, StateChange } from "../domain/changes/index.js";
import type { Scope } from "../domain/state/index.js";
import { changesOfAllSql, changesOfContextsSql, currentSnapshotSql, removeOldChangesSql } from "./change-feed-sql.js";
import type { ChangeSignals } from "./change-signals.js";
import type { GuardedQueries } from "./guarded-queries.js";

interface ChangeRow {
  removed_before: string;
  /** The last id the read looked at; null when it looked at none. */
  last_id: string | null;
  complete: boolean;
  /** Null in the one row of a read that found no change. */
  id: string | null;
  scope: string;
  username: string;
  state_key: string;
  context_key: string;
  block_type: string;
  kind: ChangeKind;
  field_names: string[];
  modified: string;
}

const toChange = (row: ChangeRow): StateChange => ({
  id: BigInt(row.id!),
  scope: row.scope === "" ? null : (row.scope as Scope),
  username: row.username,
  stateKey: row.state_key,
  contextKey: row.context_key,
  blockType: row.block_type,
  kind: row.kind,
  fieldNames: row.field_names,
  modified: BigInt(row.modified),
});

/** Implements the {@link ChangeFeedStore} port on the primary, through the guard. */
export function createChangeFeedRepository(queries: GuardedQueries, signals: ChangeSignals): ChangeFeedStore {
  return {
    async currentSnapshot(call) {
      const [row] = await queries.run(call, "read", (query) => query<{ snapshot: string }>(currentSnapshotSql, []));
      return row!.snapshot;
    },

    async readChanges(call, contexts, from, to, afterId, limit) {
      const after = afterId.toString();
      const batch = [from, from, to, to];
      const walk = contexts === null ? [limit] : [JSON.stringify(contexts), limit, limit];
      const parameters = [after, after, ...batch, ...walk, limit, to, ...batch];
      const rows = await queries.run(call, "read", (query) => query<ChangeRow>(contexts === null ? changesOfAllSql : changesOfContextsSql, parameters));
      const [first] = rows;
      return {
        changes: rows.filter((row) => row.id !== null).map(toChange),
        lastId: first!.last_id === null ? afterId : BigInt(first!.last_id),
        complete: first!.complete,
        removedBefore: BigInt(first!.removed_before),
      };
    },

    onCommitted: (listener) => signals.onCommitted(listener),

    async removeOldChanges(call, keepSeconds, batchRows) {
      const [row] = await queries.run(call, "write", (query) => query<{ removed: number }>(removeOldChangesSql, [batchRows, keepSeconds]));
      return row!.removed;
    },
  };
}

import type { ChangeFeedStore, ChangeKind, StateChange } from "../domain/changes/index.js";
import type { Scope } from "../domain/state/index.js";
import { changesOfAllSql, changesOfContextsSql, currentSnapshotSql, removeOldChangesSql } from "./change-feed-sql.js";
import type { ChangeSignals } from "./change-signals.js";
import type { GuardedQueries } from "./guarded-queries.js";

interface ChangeRow {
  removed_before: string;
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
      const bounds = [from, from, to, to, afterId.toString(), limit];
      const rows = await queries.run(call, "read", (query) =>
        contexts === null ? query<ChangeRow>(changesOfAllSql, bounds) : query<ChangeRow>(changesOfContextsSql, [JSON.stringify(contexts), ...bounds]),
      );
      return { changes: rows.filter((row) => row.id !== null).map(toChange), removedBefore: BigInt(rows[0]!.removed_before) };
    },

    onCommitted: (listener) => signals.onCommitted(listener),

    async removeOldChanges(call, keepSeconds, batchRows) {
      const [row] = await queries.run(call, "write", (query) => query<{ removed: number }>(removeOldChangesSql, [batchRows, keepSeconds]));
      return row!.removed;
    },
  };
}

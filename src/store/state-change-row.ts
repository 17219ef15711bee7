import { defineEntity } from "@mikro-orm/core";

/**
 * One committed change of a stored state, in any scope, for the change feed
 * (WatchChanges): written in the same statement as the change and its
 * history entry. Append-only; removed by the feed's retention.
 */
export const StateChangeRow = defineEntity({
  name: "StateChangeRow",
  tableName: "state_change",
  properties: (p) => ({
    /** The id of the transaction that made the change (pg_current_xact_id()): readers take what committed between two snapshots. */
    tx: p.string().columnType("xid8").primary().defaultRaw("pg_current_xact_id()"),
    /** Identity (one sequence); orders the changes of one state as they were committed. */
    id: p.bigint("string").primary().autoincrement(),
    /** user_state, preferences, user_info, user_state_summary; "" for a learner's retirement. */
    scope: p.text(),
    /** The learner, or "" for state shared by all learners. */
    username: p.text(),
    /** The key the scope stores the state under (state-location.ts); "" for a retirement. */
    stateKey: p.text(),
    /** The learning context the state is filed under; "" where none. */
    contextKey: p.text(),
    blockType: p.text(),
    /** written, fields_deleted, deleted or retired. */
    kind: p.text(),
    /** The fields written or removed, sorted; empty for a whole deletion or a retirement. */
    fieldNames: p.array().columnType("text[]"),
    modified: p.datetime(6),
  }),
  // The change feed walks a batch by id: over every course, or over some (change-feed-sql.ts).
  indexes: [
    { properties: ["id"], name: "state_change_id_index" },
    { properties: ["contextKey", "id"], name: "state_change_context_id_index" },
  ],
});

import { defineEntity } from "@mikro-orm/core";

/**
 * One write to a state of scope preferences, user_info or
 * user_state_summary: the whole state after it, or null when the write
 * deleted the state. Append-only apart from retention and learner erasure;
 * kept after the state is deleted, so it does not reference scoped_state.
 */
export const ScopedStateHistoryRow = defineEntity({
  name: "ScopedStateHistoryRow",
  tableName: "scoped_state_history",
  properties: (p) => ({
    /** Identity; orders a state's entries (newest has the largest). */
    id: p.bigint("string").primary().autoincrement(),
    /** As in scoped_state: "" for user_state_summary. In the primary key, as there. */
    username: p.text().primary(),
    stateKey: p.text(),
    scope: p.text(),
    state: p.json<Record<string, unknown>>().columnType("jsonb").nullable(),
    modified: p.datetime(6).defaultRaw("now()"),
  }),
  indexes: [{ properties: ["username", "stateKey", "scope", "id"], name: "scoped_state_history_state_index" }],
});

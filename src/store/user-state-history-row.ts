import { defineEntity } from "@mikro-orm/core";

/**
 * One write to a block's state: the whole state after it, or null when the
 * write deleted the state. Append-only; kept after the state is deleted, so
 * it does not reference user_state.
 */
export const UserStateHistoryRow = defineEntity({
  name: "UserStateHistoryRow",
  tableName: "user_state_history",
  properties: (p) => ({
    /** Identity (unique: one sequence); orders a block's entries (newest has the largest). */
    id: p.bigint("string").primary().autoincrement(),
    /** The learner; in the primary key as the distribution column on Citus, colocated with user_state. */
    username: p.text().primary(),
    usageKey: p.text(),
    scope: p.text(),
    state: p.json<Record<string, unknown>>().columnType("jsonb").nullable(),
    modified: p.datetime(6).defaultRaw("now()"),
  }),
  indexes: [{ properties: ["username", "usageKey", "scope", "id"], name: "user_state_history_block_index" }],
});

import { defineEntity } from "@mikro-orm/core";
import { stateColumns } from "./state-columns.js";

/**
 * The current state of scopes preferences, user_info and user_state_summary:
 * one row per (learner, block type), per learner, and per usage key. Schema
 * only, like user-state-row.ts: reads and writes go through the SQL in
 * state-sql.ts, which serves both families of tables. Kept out of
 * user_state so that these scopes add nothing to its tables and indexes.
 */
export const ScopedStateRow = defineEntity({
  name: "ScopedStateRow",
  tableName: "scoped_state",
  properties: (p) => ({
    /** Identity; also the stable iteration order (never reused). */
    id: p.bigint("string").primary().autoincrement(),
    /** The learner's username; "" for user_state_summary, which belongs to no learner. In the primary key as the distribution column on Citus. */
    username: p.text().primary(),
    /** What the scope keys state by: the block type (preferences), "" (user_info), the canonical usage key (user_state_summary). */
    stateKey: p.text(),
    // context_key is "" for preferences and user_info, block_type "" for user_info.
    ...stateColumns(p),
    // A text column with the check constraint scoped_state_scope_check, as migration 0003 creates it.
    scope: p.enum(["preferences", "user_info", "user_state_summary"]),
  }),
  uniques: [{ properties: ["username", "stateKey", "scope"], name: "scoped_state_owner_key_unique" }],
  indexes: [
    { properties: ["scope", "stateKey", "id"], name: "scoped_state_key_order_index" },
    { properties: ["scope", "contextKey", "id"], name: "scoped_state_context_order_index" },
    { properties: ["scope", "contextKey", "blockType", "id"], name: "scoped_state_context_type_order_index" },
  ],
});

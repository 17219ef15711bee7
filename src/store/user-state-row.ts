import { defineEntity } from "@mikro-orm/core";
import { stateColumns } from "./state-columns.js";

/**
 * The current state of one block for one learner under one scope. Schema
 * only: reads and writes go through the SQL in state-repository.ts, because
 * merges must happen inside PostgreSQL (`state || excluded.state`).
 */
export const UserStateRow = defineEntity({
  name: "UserStateRow",
  tableName: "user_state",
  properties: (p) => ({
    /** Identity (unique: one sequence); also the stable iteration order (never reused). */
    id: p.bigint("string").primary().autoincrement(),
    /** The learner; in the primary key as the distribution column on Citus (docs/scale-out.md). */
    username: p.text().primary(),
    usageKey: p.text(),
    ...stateColumns(p),
  }),
  uniques: [{ properties: ["username", "usageKey", "scope"], name: "user_state_learner_block_unique" }],
  indexes: [
    { properties: ["scope", "usageKey", "id"], name: "user_state_block_order_index" },
    { properties: ["scope", "contextKey", "id"], name: "user_state_context_order_index" },
    { properties: ["scope", "contextKey", "blockType", "id"], name: "user_state_context_type_order_index" },
  ],
});

import { defineEntity } from "@mikro-orm/core";

/**
 * The current state of one block for one learner under one scope. Schema
 * only: reads and writes go through the SQL in state-repository.ts, because
 * merges must happen inside PostgreSQL (`state || excluded.state`).
 */
export const UserStateRow = defineEntity({
  name: "UserStateRow",
  tableName: "user_state",
  properties: (p) => ({
    /** The learner: first in the primary key, the distribution column on Citus (docs/scale-out.md). */
    username: p.text().primary(),
    /** Identity (unique: one sequence); also the stable iteration order (never reused). */
    id: p.bigint("string").primary().autoincrement(),
    usageKey: p.text(),
    scope: p.text(),
    /** Learning context the block belongs to, derived from the usage key. */
    contextKey: p.text(),
    blockType: p.text(),
    state: p.json<Record<string, unknown>>().columnType("jsonb"),
    /** Field name to the epoch microseconds of its last write. */
    fieldModified: p.json<Record<string, number>>().columnType("jsonb"),
    created: p.datetime(6).defaultRaw("now()"),
    modified: p.datetime(6).defaultRaw("now()"),
  }),
  uniques: [{ properties: ["username", "usageKey", "scope"], name: "user_state_learner_block_unique" }],
  indexes: [
    { properties: ["scope", "usageKey", "id"], name: "user_state_block_order_index" },
    { properties: ["scope", "contextKey", "id"], name: "user_state_context_order_index" },
    { properties: ["scope", "contextKey", "blockType", "id"], name: "user_state_context_type_order_index" },
  ],
});

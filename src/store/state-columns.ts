import { defineEntity } from "@mikro-orm/core";

/**
 * The columns both current-state tables (user_state, scoped_state) have
 * beside their identity and key: the scope, where the state is filed, the
 * state itself and its times.
 */
export const stateColumns = (p: typeof defineEntity.properties) => ({
  scope: p.text(),
  /** Learning context the state is filed under, derived from the usage key ("" where the scope binds no course). */
  contextKey: p.text(),
  /** Block type the state is filed under. */
  blockType: p.text(),
  state: p.json<Record<string, unknown>>().columnType("jsonb"),
  /** Field name to the epoch microseconds of its last write. */
  fieldModified: p.json<Record<string, number>>().columnType("jsonb"),
  created: p.datetime(6).defaultRaw("now()"),
  modified: p.datetime(6).defaultRaw("now()"),
});

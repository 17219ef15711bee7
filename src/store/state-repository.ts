import type { Knex } from "@mikro-orm/postgresql";
import type {
  BlockWrite,
  CallLimits,
  FieldTexts,
  IterationFilter,
  Micros,
  PositionedState,
  Scope,
  StateStore,
  StoredHistoryEntry,
  StoredState,
} from "../domain/state/index.js";
import type { DatabaseGuard } from "./database-guard.js";
import { createGuardedQueries } from "./guarded-queries.js";
import {
  micros,
  fieldTexts,
  readStatesSql,
  writeStatesSql,
  deleteStatesSql,
  trimFieldsSql,
  deleteEmptiedSql,
  readFieldTimesSql,
  readHistorySql,
} from "./state-sql.js";

interface StateRow {
  username: string;
  usage_key: string;
  modified: string;
  fields: FieldTexts;
}

const json = (value: unknown) => JSON.stringify(value);

/**
 * Implements the {@link StateStore} port with SQL sent through knex with bound
 * parameters. Every statement runs under `guard`: through the circuit breaker,
 * and cancelled in PostgreSQL (not just abandoned) when its time is up.
 */
export function createStateRepository(knex: Knex, guard: DatabaseGuard): StateStore {
  const { run, inTransaction } = createGuardedQueries(knex, guard);

  const toState = (row: StateRow): StoredState => ({
    username: row.username,
    usageKey: row.usage_key,
    fields: row.fields,
    modified: BigInt(row.modified),
  });

  return {
    async readStates(call, username, scope, usageKeys, fieldNames) {
      const names = fieldNames === null ? null : json(fieldNames);
      const rows = await run(call, "read", (query) => query<StateRow>(readStatesSql, [names, names, json(usageKeys), username, scope]));
      return rows.map(toState);
    },

    async writeStates(call: CallLimits, username: string, scope: Scope, writes: readonly BlockWrite[], maxStateBytes: number): Promise<Micros[]> {
      // The state texts were validated as JSON by the domain; they are embedded
      // as they are so that numbers keep every digit on their way to jsonb.
      const input = `[${writes
        .map(
          ({ address, stateJson }, ord) =>
            `{"ord":${ord},"usage_key":${json(address.usageKey)},"context_key":${json(address.contextKey)},"block_type":${json(address.blockType)},"state":${stateJson}}`,
        )
        .join(",")}]`;
      const rows = await run(call, "write", (query) => query<{ modified: string }>(writeStatesSql, [input, username, scope, username, scope, maxStateBytes, maxStateBytes]));
      return rows.map((row) => BigInt(row.modified));
    },

    async deleteStates(call, username, scope, usageKeys) {
      await run(call, "write", (query) => query(deleteStatesSql, [json(usageKeys), username, scope, username, scope]));
    },

    async deleteFields(call, username, scope, usageKeys, fieldNames) {
      await inTransaction(call, async (query) => {
        const emptied = await query<{ id: string }>(trimFieldsSql, [json(fieldNames), json(usageKeys), username, scope, username, scope]);
        if (emptied.length > 0) await query(deleteEmptiedSql, [json(emptied.map((row) => row.id))]);
      });
    },

    async readFieldTimes(call, username, scope, usageKeys, fieldNames) {
      const names = fieldNames === null ? null : json(fieldNames);
      const rows = await run(call, "read", (query) =>
        query<{ usage_key: string; field_name: string; modified: string }>(readFieldTimesSql, [json(usageKeys), username, scope, names, names]),
      );
      return rows.map((row) => ({ usageKey: row.usage_key, fieldName: row.field_name, modified: BigInt(row.modified) }));
    },

    async readHistory(call, username, scope, usageKey, before, limit): Promise<StoredHistoryEntry[]> {
      const cursor = before === null ? null : before.toString();
      const rows = await run(call, "read", (query) =>
        query<{ position: string; modified: string; fields: FieldTexts | null }>(readHistorySql, [username, usageKey, scope, cursor, cursor, limit]),
      );
      return rows.map((row) => ({ position: BigInt(row.position), fields: row.fields, modified: BigInt(row.modified) }));
    },

    async readPositionedStates(call: CallLimits, filter: IterationFilter, after: bigint | null, limit: number): Promise<PositionedState[]> {
      const rows = await guard.run(call, "read", async ({ timeoutMs, sent }) => {
        const query = knex("user_state as s")
          .select(
            "s.username",
            "s.usage_key",
            knex.raw("s.id::text as position"),
            knex.raw(`${micros("s.modified")} as modified`),
            knex.raw(`${fieldTexts("s.state")} as fields`),
          )
          .where("s.scope", filter.scope)
          .andWhere("s.id", ">", after === null ? "0" : after.toString())
          .orderBy("s.id")
          .limit(limit)
          .on("query", sent)
          .timeout(timeoutMs, { cancel: true });
        if (filter.kind === "block") {
          query.andWhere("s.usage_key", filter.usageKey);
        } else {
          query.whereIn("s.context_key", [...filter.contextKeys]);
          if (filter.blockType !== null) query.andWhere("s.block_type", filter.blockType);
        }
        return (await query) as Array<StateRow & { position: string }>;
      });
      return rows.map((row) => ({ ...toState(row), position: BigInt(row.position) }));
    },
  };
}

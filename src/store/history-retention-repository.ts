import type { Knex } from "@mikro-orm/postgresql";
import type { CallLimits, HistoryRetentionStore } from "../domain/state/index.js";
import type { DatabaseGuard, WorkAccess } from "./database-guard.js";
import { createGuardedQueries } from "./guarded-queries.js";
import { historyEndsSql, purgeHistoryBatchSql } from "./history-retention-sql.js";
import { otherScopesTables, userStateTables, type StateTables } from "./state-sql.js";

/** The history parts retention walks, by the name logs and metrics give them. */
const families: Readonly<Record<string, StateTables>> = { user_state: userStateTables, other_scopes: otherScopesTables };
const endsSql = historyEndsSql(families);
const purgeSql = new Map(Object.entries(families).map(([name, tables]) => [name, purgeHistoryBatchSql(tables)]));

/**
 * Implements the {@link HistoryRetentionStore} port: each batch is one short
 * statement (no transaction spans batches), run under `guard` like every
 * other statement. Throws for a part name it did not report.
 */
export function createHistoryRetentionRepository(knex: Knex, guard: DatabaseGuard): HistoryRetentionStore {
  const { run } = createGuardedQueries(knex, guard);
  const query = <T>(call: CallLimits, access: WorkAccess, sql: string, params: readonly unknown[]) => run(call, access, (send) => send<T>(sql, params));

  return {
    async historyParts(call) {
      const [ends] = await query<Record<string, string | null>>(call, "read", endsSql, []);
      return Object.keys(families).map((name) => ({ name, lastPosition: ends?.[name] == null ? null : BigInt(ends[name]) }));
    },

    async purgeHistoryBatch(call, part, after, upTo, limit, rule) {
      const sql = purgeSql.get(part);
      if (sql === undefined) throw new Error(`no history part named ${part}`);
      const [result] = await query<{ last_examined: string | null; examined: number; purged: number }>(call, "write", sql, [
        after === null ? "0" : after.toString(),
        upTo.toString(),
        limit,
        rule.keepNewest,
        rule.keepNewest,
        rule.maxAgeDays,
        rule.maxAgeDays,
      ]);
      return { lastExamined: result?.last_examined == null ? null : BigInt(result.last_examined), examined: result?.examined ?? 0, purged: result?.purged ?? 0 };
    },
  };
}

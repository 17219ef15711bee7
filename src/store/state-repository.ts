import type { Knex } from "@mikro-orm/postgresql";
import type {
  BlockWrite,
  CallLimits,
  LearnerErasure,
  Micros,
  Scope,
  StateStore,
  StoredState,
} from "../domain/state/index.js";
import type { DatabaseGuard } from "./database-guard.js";
import { createGuardedQueries } from "./guarded-queries.js";
import { historyPageSettings, pageQueryOf, statePageOf } from "./state-page-reader.js";
import { copyHistoryPageSql, copyStatePageStatements, eraseLearnerSql, otherScopesStatements, otherScopesTables, userStateStatements, userStateTables, type StateStatements } from "./state-sql.js";

interface StateRow {
  username: string;
  usage_key: string;
  modified: string;
  /** The stored jsonb's text. */
  state: string;
}

const json = (value: unknown) => JSON.stringify(value);

/** user_state has tables of its own; the other scopes share theirs (see state-sql.ts). */
const statementsOf = (scope: Scope): StateStatements => (scope === "user_state" ? userStateStatements : otherScopesStatements);
const userStatePages = copyStatePageStatements(userStateTables);
const otherScopesPages = copyStatePageStatements(otherScopesTables);
const pageStatementsOf = (scope: Scope) => (scope === "user_state" ? userStatePages : otherScopesPages);
const userStateHistoryPage = copyHistoryPageSql(userStateTables);
const otherScopesHistoryPage = copyHistoryPageSql(otherScopesTables);

/**
 * Implements the {@link StateStore} port with SQL sent through knex with bound
 * parameters. Every statement runs under `guard`: through the circuit breaker,
 * and cancelled in PostgreSQL (not just abandoned) when its time is up.
 */
export function createStateRepository(knex: Knex, guard: DatabaseGuard): StateStore {
  const { run, inTransaction, copy } = createGuardedQueries(knex, guard);

  const toState = (row: StateRow): StoredState => ({
    username: row.username,
    usageKey: row.usage_key,
    stateJson: row.state,
    modified: BigInt(row.modified),
  });

  return {
    async readStates(call, owner, scope, keys, fieldNames) {
      const names = fieldNames === null ? null : json(fieldNames);
      const rows = await run(call, "read", (query) => query<StateRow>(statementsOf(scope).readStates, [names, names, json(keys), owner, scope]));
      return rows.map(toState);
    },

    async writeStates(call: CallLimits, owner: string, scope: Scope, writes: readonly BlockWrite[], maxStateBytes: number): Promise<Micros[]> {
      // The state texts were validated as JSON by the domain; they are embedded
      // as they are so that numbers keep every digit on their way to jsonb.
      const input = `[${writes
        .map(
          ({ location, stateJson }, ord) =>
            `{"ord":${ord},"usage_key":${json(location.key)},"context_key":${json(location.contextKey)},"block_type":${json(location.blockType)},"state":${stateJson}}`,
        )
        .join(",")}]`;
      const rows = await run(call, "write", (query) =>
        query<{ modified: string }>(statementsOf(scope).writeStates, [input, owner, scope, owner, scope, maxStateBytes, maxStateBytes]),
      );
      return rows.map((row) => BigInt(row.modified));
    },

    async deleteStates(call, owner, scope, keys) {
      await run(call, "write", (query) => query(statementsOf(scope).deleteStates, [json(keys), owner, scope, owner, scope]));
    },

    async deleteFields(call, owner, scope, keys, fieldNames) {
      const statements = statementsOf(scope);
      await inTransaction(call, async (query) => {
        const emptied = await query<{ id: string }>(statements.trimFields, [json(fieldNames), json(keys), owner, scope, owner, scope]);
        if (emptied.length > 0) await query(statements.deleteEmptied, [json(emptied.map((row) => row.id))]);
      });
    },

    async readFieldTimes(call, owner, scope, keys, fieldNames) {
      const names = fieldNames === null ? null : json(fieldNames);
      const rows = await run(call, "read", (query) =>
        query<{ usage_key: string; field_name: string; modified: string }>(statementsOf(scope).readFieldTimes, [json(keys), owner, scope, names, names]),
      );
      return rows.map((row) => ({ usageKey: row.usage_key, fieldName: row.field_name, modified: BigInt(row.modified) }));
    },

    async readHistoryPage(call, owner, scope, key, before, limit) {
      return statePageOf(await copy(call, historyPageSettings(owner, scope, key, before, limit), scope === "user_state" ? userStateHistoryPage : otherScopesHistoryPage));
    },

    async readStatePage(call, filter, after, limit) {
      const { selection, settings } = pageQueryOf(filter, after, limit);
      return statePageOf(await copy(call, settings, pageStatementsOf(filter.scope)[selection]));
    },

    async eraseLearner(call, username): Promise<LearnerErasure> {
      const [counts] = await run(call, "write", (query) =>
        query<{ user_states: number; preferences: number; user_infos: number; history_entries: number }>(eraseLearnerSql, [username, username, username, username]),
      );
      return { userStates: counts!.user_states, preferences: counts!.preferences, userInfos: counts!.user_infos, historyEntries: counts!.history_entries };
    },
  };
}

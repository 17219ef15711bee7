import type { Knex } from "@mikro-orm/postgresql";
import type {
  BlockToRead,
  BlockWrite,
  LearnerErasure,
  Scope,
  StateLocation,
  StateStore,
  StateVersion,
  WriteConditions,
} from "../domain/state/index.js";
import type { ChangeSignals } from "./change-signals.js";
import type { DatabaseGuard } from "./database-guard.js";
import { createGuardedQueries, type Query } from "./guarded-queries.js";
import { historyPageSettings, pageQueryOf, statePageOfCopy, statePageOfRows } from "./state-page-reader.js";
import { copyHistoryPageSql, copyStatePageStatements, eraseLearnerSql, otherScopesStatements, otherScopesTables, userStateStatements, userStateTables, type StateStatements } from "./state-sql.js";

const json = (value: unknown) => JSON.stringify(value);

/**
 * The stored keys of `blocks` in order, and their spellings, as JSON arrays
 * for the read statements; the spellings are null when every key is spelled
 * as stored, as most callers do, so that the keys go in once.
 */
function keysAndSpellings(blocks: readonly BlockToRead[]): [string, string | null] {
  const keys = json(blocks.map((block) => block.key));
  return [keys, blocks.every((block) => block.spelling === block.key) ? null : json(blocks.map((block) => block.spelling))];
}

const versionOf = (row: { position: string; modified: string }): StateVersion => ({ position: BigInt(row.position), modified: BigInt(row.modified) });

/** Where a placeholder for each of `keys` is filed: as `writes` locate it, or nowhere (a deletion's placeholders are removed before commit). */
const placementOf = (key: string, writes: readonly BlockWrite[]): Pick<StateLocation, "contextKey" | "blockType"> =>
  writes.find((write) => write.location.key === key)?.location ?? { contextKey: "", blockType: "" };

/**
 * Judges `conditions` inside a transaction, before its write: locks every
 * existing state among `keys` (all the call writes, so that the write takes
 * no lock after it: two such calls lock in one order, by key), throws the
 * judge's error; holds each conditioned state that is absent so with a
 * placeholder row (see holdAbsent in state-sql.ts) and returns the
 * placeholders. A state created meanwhile by another transaction is locked
 * and judged in turn.
 */
async function judgeConditions(
  query: Query,
  statements: StateStatements,
  owner: string,
  scope: Scope,
  conditions: WriteConditions,
  keys: readonly string[],
  writes: readonly BlockWrite[],
): Promise<Array<{ usage_key: string; id: string }>> {
  const current = new Map<string, StateVersion | null>(conditions.keys.map((key) => [key, null]));
  const placeholders: Array<{ usage_key: string; id: string }> = [];
  let unlocked = keys;
  while (unlocked.length > 0) {
    const rows = await query<{ usage_key: string; position: string; modified: string }>(statements.lockVersions, [owner, scope, json(unlocked)]);
    for (const row of rows) current.set(row.usage_key, versionOf(row));
    const failed = conditions.judge(current);
    if (failed !== null) throw failed;
    const absent = conditions.keys.filter((key) => unlocked.includes(key) && current.get(key) === null);
    if (absent.length === 0) break;
    // Sorted by key, as the locks above: two such writers take them in one order.
    const records = absent.sort().map((key) => {
      const { contextKey, blockType } = placementOf(key, writes);
      return { usage_key: key, context_key: contextKey, block_type: blockType };
    });
    const held = await query<{ usage_key: string; id: string }>(statements.holdAbsent, [owner, scope, json(records)]);
    placeholders.push(...held);
    const heldKeys = new Set(held.map((row) => row.usage_key));
    unlocked = absent.filter((key) => !heldKeys.has(key));
  }
  return placeholders;
}

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
 * and cancelled in PostgreSQL (not just abandoned) when its time is up. Every
 * committed change is signalled to the change feed by its learning contexts
 * (`signals`; null on a standby, which takes no writes).
 */
export function createStateRepository(knex: Knex, guard: DatabaseGuard, signals: ChangeSignals | null): StateStore {
  const { run, readRows, inTransaction, copy } = createGuardedQueries(knex, guard);
  const committed = (contextsOf: () => Iterable<string>) => signals?.committed(contextsOf);

  return {
    async readStates(call, owner, scope, blocks, fieldNames) {
      const names = fieldNames === null ? null : json(fieldNames);
      return statePageOfRows(await readRows(call, statementsOf(scope).readStates, [names, names, ...keysAndSpellings(blocks), owner, scope]));
    },

    async writeStates(call, owner, scope, writes, maxStateBytes, conditions) {
      // The state texts were validated as JSON by the domain; they are embedded
      // as they are so that numbers keep every digit on their way to jsonb.
      const input = `[${writes
        .map(
          ({ location, stateJson }, ord) =>
            `{"ord":${ord},"usage_key":${json(location.key)},"context_key":${json(location.contextKey)},"block_type":${json(location.blockType)},"state":${stateJson}}`,
        )
        .join(",")}]`;
      const statements = statementsOf(scope);
      const write = (query: Query) =>
        query<{ position: string; modified: string }>(statements.writeStates, [input, owner, scope, owner, scope, maxStateBytes, maxStateBytes]);
      const rows =
        conditions === null
          ? await run(call, "write", write)
          : await inTransaction(call, async (query) => {
              await judgeConditions(query, statements, owner, scope, conditions, writes.map((write) => write.location.key), writes);
              return write(query);
            });
      committed(() => writes.map((write) => write.location.contextKey));
      return rows.map(versionOf);
    },

    async deleteStates(call, owner, scope, keys, conditions) {
      const statements = statementsOf(scope);
      const deleteStates = (query: Query, keysToDelete: readonly string[]) =>
        query<{ context_key: string }>(statements.deleteStates, [json(keysToDelete), owner, scope, owner, scope]);
      const removed =
        conditions === null
          ? await run(call, "write", (query) => deleteStates(query, keys))
          : await inTransaction(call, async (query) => {
              const placeholders = await judgeConditions(query, statements, owner, scope, conditions, keys, []);
              // Held absent, so nothing to delete: only the placeholders go, unlogged.
              const held = new Set(placeholders.map((row) => row.usage_key));
              const rows = await deleteStates(query, keys.filter((key) => !held.has(key)));
              if (placeholders.length > 0) await query(statements.deleteEmptied, [json(placeholders.map((row) => row.id))]);
              return rows;
            });
      committed(() => removed.map((row) => row.context_key));
    },

    async deleteFields(call, owner, scope, keys, fieldNames, conditions) {
      const statements = statementsOf(scope);
      const trimmed = await inTransaction(call, async (query) => {
        const placeholders = conditions === null ? [] : await judgeConditions(query, statements, owner, scope, conditions, keys, []);
        const rows = await query<{ id: string; context_key: string; emptied: boolean }>(statements.trimFields, [json(fieldNames), json(keys), owner, scope, owner, scope]);
        const removed = [...rows.filter((row) => row.emptied), ...placeholders].map((row) => row.id);
        if (removed.length > 0) await query(statements.deleteEmptied, [json(removed)]);
        return rows;
      });
      committed(() => trimmed.map((row) => row.context_key));
    },

    async readFieldTimes(call, owner, scope, blocks, fieldNames) {
      const names = fieldNames === null ? null : json(fieldNames);
      const rows = await run(call, "read", (query) =>
        query<{ usage_key: string; field_name: string; modified: string }>(statementsOf(scope).readFieldTimes, [...keysAndSpellings(blocks), owner, scope, names, names]),
      );
      return rows.map((row) => ({ usageKey: row.usage_key, fieldName: row.field_name, modified: BigInt(row.modified) }));
    },

    async readHistoryPage(call, owner, scope, key, before, limit) {
      return statePageOfCopy(await copy(call, historyPageSettings(owner, scope, key, before, limit), scope === "user_state" ? userStateHistoryPage : otherScopesHistoryPage));
    },

    async readStatePage(call, filter, after, limit) {
      const { selection, settings } = pageQueryOf(filter, after, limit);
      return statePageOfCopy(await copy(call, settings, pageStatementsOf(filter.scope)[selection]));
    },

    async eraseLearner(call, username): Promise<LearnerErasure> {
      const [counts] = await run(call, "write", (query) =>
        query<{ contexts: string[]; user_states: number; preferences: number; user_infos: number; history_entries: number }>(eraseLearnerSql, [
          username,
          username,
          username,
          username,
          username,
        ]),
      );
      committed(() => counts!.contexts);
      return { userStates: counts!.user_states, preferences: counts!.preferences, userInfos: counts!.user_infos, historyEntries: counts!.history_entries };
    },
  };
}

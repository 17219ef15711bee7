import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import type { Knex } from "@mikro-orm/postgresql";
import { LRUCache } from "lru-cache";
import {
  decodeStructure,
  encodeStructure,
  type BlockStructureStore,
  type CollectedStructure,
  type StoredVersion,
  type WriteOutcome,
} from "../../domain/block-structure/index.js";
import type { CallLimits } from "../../domain/state/index.js";
import type { DatabaseGuard, WorkAccess } from "../database-guard.js";
import { createGuardedQueries } from "../guarded-queries.js";
import { deleteStructureSql, readStructureSql, readUserStateSql, readVersionSql, writeStructureSql } from "./block-structure-sql.js";

const compress = promisify(gzip);
const decompress = promisify(gunzip);

/** The learner-state scope block structures read (library selections and scores are user_state fields). */
const userStateScope = "user_state";

interface VersionRow {
  context_key: string;
  data_usage_key: string;
  data_version: string | null;
  data_edit_timestamp: string;
  transformers_schema_version: string;
  block_structure_schema_version: string;
  block_count: number;
  revision: string;
}

type UserStateRows = Record<string, Record<string, unknown>>;

/** The cache's bound unless configured: about 40 courses of 1,000 blocks. */
export const defaultBlockStructureCacheBlocks = 40_000;

/** Options of {@link createBlockStructureRepository}. */
export interface BlockStructureRepositoryOptions {
  /** Most blocks the cache of decoded structures holds, over all of them (BLOCK_STRUCTURE_CACHE_BLOCKS). */
  readonly cacheBlocks: number;
}

interface CachedStructure {
  /** The row's revision when it was read: unique over all rows and writes. */
  readonly revision: string;
  readonly structure: CollectedStructure;
}

const toVersion = (row: VersionRow): StoredVersion => ({
  rootBlockKey: row.data_usage_key,
  contextKey: row.context_key,
  dataVersion: row.data_version,
  dataEditTimestamp: BigInt(row.data_edit_timestamp),
  transformersSchemaVersion: row.transformers_schema_version,
  blockStructureSchemaVersion: row.block_structure_schema_version,
  blockCount: row.block_count,
});

const json = (value: unknown) => JSON.stringify(value);

/**
 * Implements the {@link BlockStructureStore} port: structures stored as
 * gzip-compressed JSON in block_structure, decoded copies kept in a cache
 * bounded by block count. Every read is one statement that returns the
 * row's revision and sends the compressed data only when the cached copy's
 * revision differs, so a structure another server rewrote or deleted is
 * never served from this server's cache. Every statement runs under `guard`.
 */
export function createBlockStructureRepository(knex: Knex, guard: DatabaseGuard, options: BlockStructureRepositoryOptions): BlockStructureStore {
  const cache = new LRUCache<string, CachedStructure>({ maxSize: options.cacheBlocks, sizeCalculation: (entry) => Math.max(1, entry.structure.blocks.size) });
  const queries = createGuardedQueries(knex, guard);
  const query = <T>(call: CallLimits, access: WorkAccess, sql: string, params: readonly unknown[]): Promise<T[]> => queries.run(call, access, (send) => send<T>(sql, params));

  return {
    async write(call, version, structure) {
      const data = await compress(Buffer.from(encodeStructure(structure)));
      const edited = version.dataEditTimestamp.toString();
      const params = [
        version.contextKey,
        version.rootBlockKey,
        version.dataVersion,
        edited,
        version.transformersSchemaVersion,
        version.blockStructureSchemaVersion,
        version.blockCount,
        json(structure.userStateKeys),
        data,
        edited,
        version.contextKey,
      ];
      // An empty answer means a concurrent writer created the row after this
      // statement's snapshot and won; asking again reports what it stored.
      for (let attempt = 0; ; attempt += 1) {
        const [row] = await query<VersionRow & { outcome: WriteOutcome }>(call, "write", writeStructureSql, params);
        if (row !== undefined) {
          if (row.outcome === "stored") cache.set(row.context_key, { revision: row.revision, structure });
          return { outcome: row.outcome, stored: toVersion(row) };
        }
        if (attempt > 0) throw new Error(`block structure of ${version.contextKey}: the write statement returned no row twice`);
      }
    },

    async read(call, contextKeys, userState) {
      // The cached entry is captured now: if the row still has its revision,
      // this copy is the one to use, whatever the cache holds by then.
      const cached = contextKeys.map((key) => cache.get(key)).find((entry) => entry !== undefined);
      const username = userState?.username ?? null;
      const [row] = await query<VersionRow & { data: Buffer | null; states: UserStateRows | null }>(call, "read", readStructureSql, [
        cached?.revision ?? null,
        username,
        json(userState?.fieldNames ?? []),
        username,
        userStateScope,
        json(contextKeys),
      ]);
      if (row === undefined) {
        for (const key of contextKeys) cache.delete(key);
        return null;
      }
      let structure: CollectedStructure;
      if (row.data === null) {
        structure = cached!.structure;
      } else {
        structure = decodeStructure((await decompress(row.data)).toString("utf8"));
        cache.set(row.context_key, { revision: row.revision, structure });
      }
      return { version: toVersion(row), structure, userState: new Map(Object.entries(row.states ?? {})) };
    },

    async readUserState(call, userState, blockKeys) {
      const [row] = await query<{ states: UserStateRows }>(call, "read", readUserStateSql, [json(userState.fieldNames), userState.username, userStateScope, json(blockKeys)]);
      return new Map(Object.entries(row?.states ?? {}));
    },

    async readVersion(call, contextKeys) {
      const [row] = await query<VersionRow>(call, "read", readVersionSql, [json(contextKeys)]);
      return row === undefined ? null : toVersion(row);
    },

    async delete(call, contextKeys) {
      const rows = await query<{ context_key: string }>(call, "write", deleteStructureSql, [json(contextKeys)]);
      for (const key of contextKeys) cache.delete(key);
      return rows.length > 0;
    },
  };
}

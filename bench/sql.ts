// The statements the repository sends (src/store/state-sql.ts), with
// PostgreSQL's $n placeholders, for the raw-SQL side of the benchmark: taken
// from the repository's own text, so both sides always run the same SQL. The
// IterAll page is the query knex builds in readPositionedStates, written out.

import { readStructureSql as repositoryReadStructureSql } from "../src/store/block-structure/block-structure-sql.js";
import { micros, userStateStatements } from "../src/store/state-sql.js";

/** The repository's statement with knex's `?` placeholders numbered `$1`, `$2`, … as node-postgres wants them. */
function positional(sql: string): string {
  let next = 0;
  return sql.replace(/\?/gu, () => `$${(next += 1)}`);
}

/** GetMany: $1 and $2 the field names (null: all), $3 the usage keys as a JSON array, $4 the keys as spelled in the request (NULL: as stored), $5 username, $6 scope. */
export const readStatesSql = positional(userStateStatements.readStates);

/**
 * SetMany: $1 the blocks as a JSON array of {ord, usage_key, context_key,
 * block_type, state}, $2 username, $3 scope, $4 username, $5 scope, $6 and $7
 * the largest state in bytes.
 */
export const writeStatesSql = positional(userStateStatements.writeStates);

/**
 * The select of one IterAllForCourse page as knex compiles it in
 * readPositionedStates, without its `limit`: $1 scope, $2 the id to start
 * after (as text, as knex binds it), $3 the context key.
 */
const positionedStatesSelect = `select "s"."username", "s"."usage_key", s.id::text as position, ${micros("s.modified")} as modified, s.state::text as state from "user_state" as "s" where "s"."scope" = $1 and "s"."id" > $2 and "s"."context_key" in ($3) order by "s"."id" asc`;

/** One keyset page, exactly the service's: $4 the page size. */
export const positionedStatesPageSql = `${positionedStatesSelect} limit $4`;

/** The same select behind a server-side cursor, read with FETCH. */
export const declareCursorSql = `declare bench_rows no scroll cursor for ${positionedStatesSelect}`;

export const fetchCursorSql = (rows: number) => `fetch ${rows} from bench_rows`;

/**
 * GetTransformed's one statement (src/store/block-structure): $1 the cached
 * revision (the data comes back only when it differs), $2 and $4 the
 * username, $3 the state fields as a JSON array, $5 scope, $6 the course's
 * context keys as a JSON array.
 */
export const readStructureSql = positional(repositoryReadStructureSql);

/** A row of GetMany or IterAll, as the driver returns it. */
export interface StateRow {
  username: string;
  usage_key: string;
  modified: string;
  /** The stored jsonb's text. */
  state: string;
}

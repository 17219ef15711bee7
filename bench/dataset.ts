import { createHash } from "node:crypto";
import pg from "pg";

/** The shape of the data set: users × courses × problem blocks per course. */
export interface DatasetShape {
  readonly users: number;
  readonly courses: readonly string[];
  readonly blocksPerCourse: number;
}

export const org = "BenchX";
export const run = "2026";
export const scope = "user_state";

/** `course-v1:BenchX+<code>+2026`. */
export const courseKey = (code: string) => `course-v1:${org}+${code}+${run}`;

/** The Studio-style block id (32 hex digits) of problem `index` of a course: md5, as in the loading SQL. */
export const blockId = (code: string, index: number) => createHash("md5").update(`${code}/${index}`).digest("hex");

/** `block-v1:BenchX+<code>+2026+type@problem+block@<id>`. */
export const problemKey = (code: string, index: number) => `block-v1:${org}+${code}+${run}+type@problem+block@${blockId(code, index)}`;

export const username = (index: number) => `learner${String(index).padStart(5, "0")}`;

/** Runs `work` with a fresh connection to `url`, closed afterwards. */
export async function onDatabase<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: "learnerstate-bench" });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** `url` with its database replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Drops and creates `database` on the server of `adminUrl`. Refuses with a
 * clear message when the role may not create databases.
 */
export async function recreateDatabase(adminUrl: string, database: string): Promise<void> {
  await onDatabase(adminUrl, async (client) => {
    const role = await client.query<{ rolcreatedb: boolean; rolsuper: boolean }>(
      "select rolcreatedb, rolsuper from pg_roles where rolname = current_user",
    );
    const may = role.rows[0];
    if (!may || (!may.rolcreatedb && !may.rolsuper)) {
      throw new Error(
        `the role of DATABASE_URL may not create databases; the benchmark needs its own database (${database}), ` +
          "which it drops and recreates: grant CREATEDB, or point DATABASE_URL at a role that has it",
      );
    }
    const quoted = `"${database.replaceAll('"', '""')}"`;
    await client.query(`drop database if exists ${quoted} with (force)`);
    await client.query(`create database ${quoted}`);
  });
}

// A capa problem's state as edx-platform stores it after a submission: one or
// two inputs (`<block id>_2_1`, `<block id>_3_1`), each with its correct_map
// entry, answer and input_state, plus attempts, seed, done, score and the time
// of the last submission: 450 to 750 bytes of JSON. Every value is derived
// from (user, course, block), so the data set is the same on every run. The
// JSON is built as text and cast once (twice as fast as nested
// jsonb_build_object). One statement loads users [$2, $3) in every course of
// $1, user by user, course by course, block by block, so the courses' rows
// are interleaved in id order as they are when learners work in both.
// field_modified has every field at the row's time, in epoch microseconds.
const loadUsersSql = `
  insert into user_state (username, usage_key, scope, context_key, block_type, state, field_modified, created, modified)
  select 'learner' || lpad(u::text, 5, '0'),
         'block-v1:${org}+' || c.code || '+${run}+type@problem+block@' || b.hex,
         '${scope}', 'course-v1:${org}+' || c.code || '+${run}', 'problem',
         ('{"attempts": ' || (1 + x.r % 3) || ', "seed": ' || (1 + x.r % 20) || ', "done": true, "correct_map": {"' || b.hex || '_2_1": {"correctness": "' ||
           case when x.r % 4 = 0 then 'incorrect' else 'correct' end ||
           '", "npoints": null, "msg": "", "hint": "", "hintmode": null, "queuestate": null, "answervariable": null}' ||
           case when b.two then ', "' || b.hex || '_3_1": {"correctness": "' || case when x.r % 5 = 0 then 'incorrect' else 'correct' end ||
             '", "npoints": null, "msg": "", "hint": "", "hintmode": null, "queuestate": null, "answervariable": null}' else '' end ||
           '}, "student_answers": {"' || b.hex || '_2_1": "choice_' || (x.r % 4) || '"' ||
           case when b.two then ', "' || b.hex || '_3_1": ["choice_0", "choice_' || (1 + x.r % 3) || '"]' else '' end ||
           '}, "input_state": {"' || b.hex || '_2_1": {}' || case when b.two then ', "' || b.hex || '_3_1": {}' else '' end ||
           '}, "last_submission_time": "' || to_char(x.ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') ||
           '", "score": {"raw_earned": ' || case when x.r % 4 = 0 then 0 else 1 end || ', "raw_possible": 1}}')::jsonb,
         replace('{"attempts": T, "seed": T, "done": T, "correct_map": T, "student_answers": T, "input_state": T, "last_submission_time": T, "score": T}',
                 'T', ((extract(epoch from x.ts) * 1000000)::bigint)::text)::jsonb,
         x.ts, x.ts
  from generate_series($2::int, $3::int - 1) as u
  cross join unnest($1::text[]) with ordinality as c(code, k)
  cross join lateral (select i as n, md5(c.code || '/' || i) as hex, i % 3 = 0 as two from generate_series(0, $4::int - 1) as i) as b
  cross join lateral (
    select (u * 7919 + b.n * 104729 + c.k::int * 31) % 1000 as r,
           timestamptz '2026-01-05 08:00:00+00' + ((u * cardinality($1::text[]) + c.k - 1) * $4::int + b.n) * interval '7 seconds' as ts
  ) as x
  order by u, c.k, b.n`;

/** A secondary index of user_state as the migrations created it, to drop during the load and build again after it. */
interface SecondaryIndex {
  readonly name: string;
  readonly definition: string;
  /** Set when the index backs a constraint (the unique key): dropped and added back as that constraint. */
  readonly constraint: string | null;
  readonly constraintDefinition: string | null;
}

// Maintaining five indexes row by row triples the load time; building them
// afterwards is faster. Their definitions are read from the catalog, so the
// schema ends up exactly as the server's migrations made it.
async function secondaryIndexes(client: pg.Client): Promise<SecondaryIndex[]> {
  const result = await client.query<{ name: string; definition: string; constraint: string | null; constraint_definition: string | null }>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition,
            c.conname as constraint, pg_get_constraintdef(c.oid) as constraint_definition
     from pg_index i left join pg_constraint c on c.conindid = i.indexrelid and c.conrelid = i.indrelid
     where i.indrelid = 'user_state'::regclass and not i.indisprimary
     order by 1`,
  );
  return result.rows.map((row) => ({ name: row.name, definition: row.definition, constraint: row.constraint, constraintDefinition: row.constraint_definition }));
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** What loading took and produced. */
export interface LoadReport {
  readonly rows: number;
  readonly seconds: number;
  readonly tableBytes: number;
  readonly averageStateBytes: number;
  readonly minStateBytes: number;
  readonly maxStateBytes: number;
}

/**
 * Loads the data set into the (migrated, empty) database at `url`: drops
 * user_state's secondary indexes, inserts half of the users on each of two
 * connections in parallel, builds the indexes again, then VACUUM ANALYZE and a CHECKPOINT
 * (when the role may) so that neither runs during the measurements.
 */
export async function loadDataset(url: string, shape: DatasetShape): Promise<LoadReport> {
  const started = performance.now();
  const indexes = await onDatabase(url, async (client) => {
    const found = await secondaryIndexes(client);
    for (const index of found) {
      await client.query(index.constraint === null ? `drop index ${index.name}` : `alter table user_state drop constraint ${quote(index.constraint)}`);
    }
    return found;
  });
  const half = Math.ceil(shape.users / 2);
  await Promise.all(
    [
      [0, half],
      [half, shape.users],
    ].map(([from, to]) => onDatabase(url, (client) => client.query(loadUsersSql, [shape.courses, from, to, shape.blocksPerCourse]))),
  );
  // Two builds at a time, one per core of the reference machine.
  const pending = [...indexes];
  await Promise.all(
    [0, 1].map(() =>
      onDatabase(url, async (client) => {
        await client.query("set maintenance_work_mem = '256MB'");
        for (let index = pending.shift(); index !== undefined; index = pending.shift()) {
          await client.query(
            index.constraint === null ? index.definition : `alter table user_state add constraint ${quote(index.constraint)} ${index.constraintDefinition}`,
          );
        }
      }),
    ),
  );
  return onDatabase(url, async (client) => {
    const after = await secondaryIndexes(client);
    if (JSON.stringify(after) !== JSON.stringify(indexes)) throw new Error("user_state's indexes differ from the migrated ones after the load");
    await client.query("vacuum (analyze) user_state");
    await client.query("analyze user_state_history");
    await client.query("checkpoint").catch(() => undefined); // needs superuser or pg_checkpoint; only keeps the load's checkpoint out of the runs
    const stats = await client.query<{ rows: string; table_bytes: string; avg: string; min: string; max: string }>(
      `select count(*)::text as rows, pg_total_relation_size('user_state')::text as table_bytes,
              round(avg(octet_length(state::text)))::text as avg, min(octet_length(state::text))::text as min, max(octet_length(state::text))::text as max
       from user_state`,
    );
    const row = stats.rows[0]!;
    return {
      rows: Number(row.rows),
      seconds: (performance.now() - started) / 1000,
      tableBytes: Number(row.table_bytes),
      averageStateBytes: Number(row.avg),
      minStateBytes: Number(row.min),
      maxStateBytes: Number(row.max),
    };
  });
}

/** The learner and block whose history GetHistory reads in the C comparison. */
export const longHistory = { username: "historian", blockKey: problemKey("Course1", 0), entries: 10_000 } as const;

/**
 * Makes sure {@link longHistory}'s block has exactly its number of history
 * entries: written with SQL, each entry a capa state of the data set's
 * shape, so a reused database gets them too. The learner has no current
 * state, so the courses' states stay the data set's.
 */
export async function ensureLongHistory(url: string): Promise<void> {
  await onDatabase(url, async (client) => {
    const { username, blockKey, entries } = longHistory;
    const found = await client.query<{ n: number }>("select count(*)::int as n from user_state_history where username = $1 and usage_key = $2 and scope = $3", [username, blockKey, scope]);
    if (found.rows[0]!.n === entries) return;
    await client.query("delete from user_state_history where username = $1 and usage_key = $2 and scope = $3", [username, blockKey, scope]);
    await client.query(
      `insert into user_state_history (username, usage_key, scope, state, modified)
       select $1, $2, $3, s.state || jsonb_build_object('attempts', i, 'seed', i * 7), now() - make_interval(secs => $4 - i)
       from generate_series(1, $4) as i,
            (select state from user_state where scope = $3 and context_key = $5 order by id limit 1) as s`,
      [username, blockKey, scope, entries, courseKey("Course1")],
    );
    await client.query("analyze user_state_history");
  });
}

// The results read in place (src/store/in-place-result.ts: COPY out, and a
// prepared statement's rows in binary) against real PostgreSQL, on both
// kinds of socket they read: one that reads in place (the pool's) and a
// plain one (what TLS connections use). The GetMany, IterAll, GetHistory and
// export suites check what the server makes of the bytes; this checks the
// bytes and the connection: every byte of a result whatever the read sizes,
// asynchronous messages in between dropped, an error mid-result reported
// with the connection still usable, and prepared statements kept as pg keeps
// them.
import net from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { locateDataRows } from "../src/store/binary-copy.js";
import { CopyOut } from "../src/store/copy-out.js";
import { createReadInPlaceSocket } from "../src/store/read-in-place-socket.js";
import { RowsOut } from "../src/store/rows-out.js";

const sockets = {
  "a socket that reads in place": createReadInPlaceSocket,
  "a plain socket": () => new net.Socket(),
} as const;

/** The text COPY of `rows` rows of `row(i)`, as PostgreSQL writes it (one line per row). */
const expectedText = (rows: number, row: (i: number) => string) => Array.from({ length: rows }, (_, index) => `${row(index + 1)}\n`).join("");

/**
 * A connection for the tests of one describe block, on a socket from
 * `socket`, with `pg_temp.noisy(i)`: a row function that raises a notice for
 * every tenth row, so that notices arrive between the rows' messages.
 */
function useConnection(socket: () => net.Socket): { readonly client: pg.Client } {
  let client: pg.Client | undefined;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: inject("databaseUrl"), stream: socket });
    await client.connect();
    await client.query(`create function pg_temp.noisy(i int) returns int language plpgsql as $$ begin if i % 10 = 0 then raise notice 'row %', i; end if; return i; end $$`);
  });
  afterAll(async () => {
    await client?.end();
  });
  return {
    get client() {
      return client!;
    },
  };
}

describe.each(Object.entries(sockets))("COPY out on %s", (_, socket) => {
  const connection = useConnection(socket);

  it("receives every byte of a COPY of 200,000 rows of varied lengths, split over many reads, notices dropped", async () => {
    const row = (i: number) => `${i}\t${"é".repeat(i % 97)}`;
    const copy = connection.client.query(new CopyOut(`copy (select pg_temp.noisy(i), repeat('é', i % 97) from generate_series(1, 200000) i) to stdout`));
    const output = await copy.rows;
    const expected = expectedText(200_000, row);
    expect(output.bytes.length).toBe(Buffer.byteLength(expected));
    expect(output.bytes.toString("utf8") === expected).toBe(true);
    output.release();
    // The connection goes on as usual.
    expect((await connection.client.query<{ one: number }>("select 1 as one")).rows).toEqual([{ one: 1 }]);
  });

  it("receives an empty COPY as no bytes", async () => {
    const output = await connection.client.query(new CopyOut("copy (select 1 where false) to stdout")).rows;
    expect(output.bytes.length).toBe(0);
    output.release();
  });

  it("reports an error raised after rows were sent, and leaves the connection usable", async () => {
    const copy = connection.client.query(new CopyOut(`copy (select case when i < 50000 then repeat('x', 100) else (1 / (i - i))::text end from generate_series(1, 60000) i) to stdout`));
    await expect(copy.rows).rejects.toMatchObject({ code: "22012" }); // division_by_zero
    expect((await connection.client.query<{ one: number }>("select 1 as one")).rows).toEqual([{ one: 1 }]);
    // And runs the next COPY from its start.
    const output = await connection.client.query(new CopyOut("copy (select i from generate_series(1, 3) i) to stdout")).rows;
    expect(output.bytes.toString("utf8")).toBe("1\n2\n3\n");
    output.release();
  });

  it("reports an error raised before any row (a bad statement)", async () => {
    const copy = connection.client.query(new CopyOut("copy (select no_such_column from generate_series(1, 3) i) to stdout"));
    await expect(copy.rows).rejects.toMatchObject({ code: "42703" }); // undefined_column
    expect((await connection.client.query<{ one: number }>("select 1 as one")).rows).toEqual([{ one: 1 }]);
  });

  it("runs COPYs one after another on one connection, each complete", async () => {
    for (const rows of [10, 20_000, 1, 5_000]) {
      const output = await connection.client.query(new CopyOut(`copy (select i, md5(i::text) from generate_series(1, ${rows}) i) to stdout`)).rows;
      const lines = output.bytes.toString("utf8").split("\n");
      expect(lines.length).toBe(rows + 1);
      expect(lines[rows - 1]!.startsWith(`${rows}\t`)).toBe(true);
      output.release();
    }
  });
});

describe.each(Object.entries(sockets))("a prepared statement's rows on %s", (_, socket) => {
  const connection = useConnection(socket);
  const preparedCount = async () => (await connection.client.query<{ count: string }>("select count(*) from pg_prepared_statements")).rows[0]!.count;

  /** The text fields of each row of `bytes` (binary rows of text columns). */
  const textRows = (bytes: Buffer, columns: number) => {
    const located = locateDataRows(bytes, columns);
    return Array.from({ length: located.rows }, (_, row) =>
      Array.from({ length: columns }, (_, column) => {
        const [start, end] = [located.bounds[2 * (row * columns + column)]!, located.bounds[2 * (row * columns + column) + 1]!];
        return start < 0 ? null : bytes.toString("utf8", start, end);
      }),
    );
  };

  it("receives every row of 100,000 in binary, split over many reads, notices dropped, with bound values", async () => {
    const rows = await connection.client.query(new RowsOut("in_place_many", "select pg_temp.noisy(i)::text, repeat($1, i % 97) from generate_series(1, $2::int) i", ["é", "100000"])).rows;
    const received = textRows(rows.bytes, 2);
    expect(received).toHaveLength(100_000);
    expect(received.every(([number, text], index) => number === String(index + 1) && text === "é".repeat((index + 1) % 97))).toBe(true);
    rows.release();
    expect((await connection.client.query<{ one: number }>("select 1 as one")).rows).toEqual([{ one: 1 }]);
  });

  it("receives no rows as no bytes, and a NULL field as located nowhere", async () => {
    const none = await connection.client.query(new RowsOut("in_place_none", "select 1 where false", [])).rows;
    expect(none.bytes.length).toBe(0);
    none.release();
    const nulls = await connection.client.query(new RowsOut("in_place_null", "select $1::text, 'x'", [null])).rows;
    expect(textRows(nulls.bytes, 2)).toEqual([[null, "x"]]);
    nulls.release();
  });

  it("prepares a statement once per connection, and runs it again by name", async () => {
    const before = Number(await preparedCount());
    for (const value of ["a", "b", "c"]) {
      const rows = await connection.client.query(new RowsOut("in_place_again", "select $1::text || '!'", [value])).rows;
      expect(textRows(rows.bytes, 1)).toEqual([[`${value}!`]]);
      rows.release();
    }
    expect(Number(await preparedCount())).toBe(before + 1);
  });

  it("reports an error raised after rows were sent, and leaves the connection and the statement usable", async () => {
    const text = "select case when i < $1::int then repeat('x', 100) else (1 / (i - i))::text end from generate_series(1, 60000) i";
    await expect(connection.client.query(new RowsOut("in_place_late_error", text, ["50000"])).rows).rejects.toMatchObject({ code: "22012" }); // division_by_zero
    expect((await connection.client.query<{ one: number }>("select 1 as one")).rows).toEqual([{ one: 1 }]);
    const rows = await connection.client.query(new RowsOut("in_place_late_error", text, ["70000"])).rows;
    expect(textRows(rows.bytes, 1)).toHaveLength(60_000);
    rows.release();
  });

  it("forgets a statement PostgreSQL refused to prepare, so that the next try prepares it again", async () => {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await expect(connection.client.query(new RowsOut("in_place_bad", "select no_such_column", [])).rows).rejects.toMatchObject({ code: "42703" }); // undefined_column, not "does not exist"
    }
    expect((await connection.client.query<{ one: number }>("select 1 as one")).rows).toEqual([{ one: 1 }]);
  });
});

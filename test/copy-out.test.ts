// The COPY-out reader (src/store/copy-out.ts) against real PostgreSQL, on
// both kinds of socket it reads: one that reads in place (the pool's) and a
// plain one (what TLS connections use). The IterAll, GetHistory and export
// suites check what the server makes of the bytes; this checks the bytes and
// the connection: every byte of a COPY whatever the read sizes, asynchronous
// messages in between dropped, an error mid-COPY reported with the
// connection still usable, and the output buffer given back.
import net from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CopyOut } from "../src/store/copy-out.js";
import { createReadInPlaceSocket } from "../src/store/read-in-place-socket.js";

const sockets = {
  "a socket that reads in place": createReadInPlaceSocket,
  "a plain socket": () => new net.Socket(),
} as const;

/** The text COPY of `rows` rows of `row(i)`, as PostgreSQL writes it (one line per row). */
const expectedText = (rows: number, row: (i: number) => string) => Array.from({ length: rows }, (_, index) => `${row(index + 1)}\n`).join("");

describe.each(Object.entries(sockets))("COPY out on %s", (_, socket) => {
  let client: pg.Client;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: inject("databaseUrl"), stream: socket });
    await client.connect();
    // A row function that raises a notice for every tenth row: notices arrive between CopyData messages.
    await client.query(`create function pg_temp.noisy(i int) returns int language plpgsql as $$ begin if i % 10 = 0 then raise notice 'row %', i; end if; return i; end $$`);
  });
  afterAll(async () => {
    await client.end();
  });

  it("receives every byte of a COPY of 200,000 rows of varied lengths, split over many reads, notices dropped", async () => {
    const row = (i: number) => `${i}\t${"é".repeat(i % 97)}`;
    const copy = client.query(new CopyOut(`copy (select pg_temp.noisy(i), repeat('é', i % 97) from generate_series(1, 200000) i) to stdout`));
    const output = await copy.output;
    const expected = expectedText(200_000, row);
    expect(output.bytes.length).toBe(Buffer.byteLength(expected));
    expect(output.bytes.toString("utf8") === expected).toBe(true);
    output.release();
    // The connection goes on as usual.
    expect((await client.query<{ one: number }>("select 1 as one")).rows).toEqual([{ one: 1 }]);
  });

  it("receives an empty COPY as no bytes", async () => {
    const output = await client.query(new CopyOut("copy (select 1 where false) to stdout")).output;
    expect(output.bytes.length).toBe(0);
    output.release();
  });

  it("reports an error raised after rows were sent, and leaves the connection usable", async () => {
    const copy = client.query(new CopyOut(`copy (select case when i < 50000 then repeat('x', 100) else (1 / (i - i))::text end from generate_series(1, 60000) i) to stdout`));
    await expect(copy.output).rejects.toMatchObject({ code: "22012" }); // division_by_zero
    expect((await client.query<{ one: number }>("select 1 as one")).rows).toEqual([{ one: 1 }]);
    // And runs the next COPY from its start.
    const output = await client.query(new CopyOut("copy (select i from generate_series(1, 3) i) to stdout")).output;
    expect(output.bytes.toString("utf8")).toBe("1\n2\n3\n");
    output.release();
  });

  it("reports an error raised before any row (a bad statement)", async () => {
    const copy = client.query(new CopyOut("copy (select no_such_column from generate_series(1, 3) i) to stdout"));
    await expect(copy.output).rejects.toMatchObject({ code: "42703" }); // undefined_column
    expect((await client.query<{ one: number }>("select 1 as one")).rows).toEqual([{ one: 1 }]);
  });

  it("runs COPYs one after another on one connection, each complete", async () => {
    for (const rows of [10, 20_000, 1, 5_000]) {
      const output = await client.query(new CopyOut(`copy (select i, md5(i::text) from generate_series(1, ${rows}) i) to stdout`)).output;
      const lines = output.bytes.toString("utf8").split("\n");
      expect(lines.length).toBe(rows + 1);
      expect(lines[rows - 1]!.startsWith(`${rows}\t`)).toBe(true);
      output.release();
    }
  });
});

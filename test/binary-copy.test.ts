// Numbers read from PostgreSQL's binary COPY output in place
// (src/store/binary-copy.ts), against what PostgreSQL itself says they are:
// int8 values, and timestamptz values as microseconds since the Unix epoch,
// moved as 32-bit halves (with a carry between them) rather than as BigInts.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { wordsOf } from "../src/buffers/int64-words.js";
import { copyInt8, copyTimestampMicros, locateCopiedRows } from "../src/store/binary-copy.js";
import { CopyOut } from "../src/store/copy-out.js";

describe("binary COPY numbers", () => {
  let client: pg.Client;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: inject("databaseUrl") });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
  });

  /** Copies `(select …)` of two columns, a value and PostgreSQL's own text of the number expected from it; returns both per row. */
  async function readPairs(select: string, copy: typeof copyInt8): Promise<Array<{ read: bigint; expected: bigint }>> {
    const output = await client.query(new CopyOut(`copy (${select}) to stdout (format binary)`)).rows;
    const copied = locateCopiedRows(output.bytes, 2);
    const values = new BigInt64Array(copied.rows);
    const words = wordsOf(values);
    const pairs = Array.from({ length: copied.rows }, (_, row) => {
      copy(copied, row, 0, words, row);
      const [start, end] = [copied.bounds[4 * row + 2]!, copied.bounds[4 * row + 3]!];
      return { read: values[row]!, expected: BigInt(copied.data.toString("utf8", start, end)) };
    });
    output.release();
    return pairs;
  }

  it("reads int8 values exactly, at every edge of their halves and at random", async () => {
    const pairs = await readPairs(
      `select v, v::text from unnest(array[-9223372036854775808, -4294967296, -2147483649, -2147483648, -1, 0, 1, 2147483647, 2147483648,
        4294967295, 4294967296, 9007199254740993, 9223372036854775807]::int8[]) v
       union all select v, v::text from (select (random() * 2 - 1) * 9.2e18 as r from generate_series(1, 2000)) s, lateral (select r::int8 as v) v`,
      copyInt8,
    );
    expect(pairs).toHaveLength(2013);
    for (const { read, expected } of pairs) expect(read).toBe(expected);
  });

  // PostgreSQL's last years (after 292277) are past int8's range in Unix microseconds, so not asked here.
  it("reads timestamptz values as microseconds since the Unix epoch, whatever the carry between halves", async () => {
    const pairs = await readPairs(
      `select t, (extract(epoch from t) * 1000000)::numeric(30, 0)::text from unnest(array['4713-01-01 00:00:00+00 BC', '0001-01-01 00:00:00+00',
        '1969-12-31 23:59:59.999999+00', '1970-01-01 00:00:00+00', '1999-12-31 23:59:59.999999+00', '2000-01-01 00:00:00+00',
        '2026-12-07 16:00:00.123456+00', '2255-06-05 23:47:34.740991+00', '292000-12-31 23:59:59.999999+00']::timestamptz[]) t
       union all select t, (extract(epoch from t) * 1000000)::numeric(30, 0)::text
         from (select timestamptz '2000-01-01 00:00:00+00' + (random() * 2 - 1) * interval '100000 days' as t from generate_series(1, 2000)) s`,
      copyTimestampMicros,
    );
    expect(pairs).toHaveLength(2009);
    for (const { read, expected } of pairs) expect(read).toBe(expected);
  });
});

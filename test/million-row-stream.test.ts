import { beforeAll, describe, expect, it } from "vitest";
import { unique, useServer } from "./support/fixture.js";

// The server's heap is capped far below the size of the stream: a server that
// kept rows would die of it instead of passing. Without the cap V8 collects
// lazily and RSS wanders up and down with the allocation rate, which says
// nothing about what the server holds.
const heapCapMegabytes = 128;
const fixture = useServer({ env: { NODE_OPTIONS: `--max-old-space-size=${heapCapMegabytes}` }, ownDatabase: true });

const rowCount = 1_000_000;
const blocksPerLearner = 100;
// Each state is about 500 bytes: ~500 MB of JSON in all, against this bound.
const maxGrowthBytes = 150 * 1024 * 1024;

const org = unique("Bulk");
const course = `course-v1:${org}+Big+2026`;
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  // Loaded with SQL behind the service's back: the tests are about reading.
  await fixture.db.query(
      `insert into user_state (username, usage_key, scope, context_key, block_type, state, field_modified)
       select 'bulk' || (i / $2), 'block-v1:' || $1 || '+Big+2026+type@problem+block@b' || (i % $2), 'user_state', $3, 'problem',
              jsonb_build_object('attempts', i % 5, 'seed', i, 'answer', repeat('x', 440)), '{}'::jsonb
       from generate_series(0, $4 - 1) as i`,
    [org, blocksPerLearner, course, rowCount],
  );
});

/**
 * The service's database backends that a stream could be holding: a
 * transaction left open, or a query running for over five seconds (a page
 * query takes milliseconds, seconds on a machine under heavy load; a
 * server-side cursor would stay open for the whole stream).
 */
async function heldServiceBackends(): Promise<number> {
  const result = await fixture.db.query(
    `select count(*)::int as n from pg_stat_activity
     where application_name = 'learnerstate'
       and (state like 'idle in transaction%' or (state = 'active' and query_start < now() - interval '5 seconds'))`,
  );
  return result.rows[0].n as number;
}

describe("IterAllForCourse over 1,000,000 rows", () => {
  it("streams every row once while the server's memory stays flat", async () => {

    const baseline = await fixture.server.rssBytes();
    let peak = baseline;
    const sampler = setInterval(() => {
      fixture.server.rssBytes().then(
        (rss) => (peak = Math.max(peak, rss)),
        () => undefined,
      );
    }, 100);
    let rows = 0;
    let lastSeed = -1;
    let ordered = true;
    const started = performance.now();
    try {
      for await (const message of fixture.client.iterAllForCourse({ courseKey: course, batchSize: 1000 })) {
        for (const state of message.blockStates) {
          const seed = Number(JSON.parse(state.fields["seed"]!));
          ordered &&= seed === lastSeed + 1;
          lastSeed = seed;
        }
        rows += message.blockStates.length;
      }
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `1M-row stream: ${rows} rows in ${seconds.toFixed(1)} s (${Math.round(rows / seconds)} rows/s); server RSS ${mb(baseline)} MB before, ${mb(peak)} MB peak`,
    );
    expect(rows).toBe(rowCount);
    expect(ordered).toBe(true);
    expect(peak - baseline).toBeLessThan(maxGrowthBytes);
  });

  it("holds no connection and no memory for a client that reads very slowly, and cancelling ends the stream", async () => {
    const baseline = await fixture.server.rssBytes();
    let peak = baseline;
    const heldDuringPauses: number[] = [];
    const abort = new AbortController();
    let messages = 0;
    const reading = (async () => {
      for await (const _message of fixture.client.iterAllForCourse({ courseKey: course, batchSize: 1000 }, { signal: abort.signal })) {
        messages += 1;
        // A very slow reader: a quarter of a second per thousand rows.
        await sleep(250);
        peak = Math.max(peak, await fixture.server.rssBytes());
        heldDuringPauses.push(await heldServiceBackends());
        if (messages === 24) abort.abort();
      }
    })();
    await reading.catch((error: unknown) => expect(abort.signal.aborted, String(error)).toBe(true));
    await sleep(500);
    const after = await fixture.server.rssBytes();
    const heldAfterCancel = await heldServiceBackends();
    console.log(
      `slow reader: ${messages} messages in ${(messages * 0.25).toFixed(0)} s; server RSS ${mb(baseline)} MB before, ${mb(peak)} MB peak, ${mb(after)} MB after cancel; ` +
        `database backends held while it paused: max ${Math.max(...heldDuringPauses)}, after cancel: ${heldAfterCancel}`,
    );
    // Messages the client had already buffered still arrive after the cancel; then the stream ends, far short of 1,000.
    expect(messages).toBeGreaterThanOrEqual(24);
    expect(messages).toBeLessThan(40);
    // Keyset pages: between pages the stream holds no connection and no transaction.
    expect(Math.max(...heldDuringPauses)).toBe(0);
    expect(heldAfterCancel).toBe(0);
    expect(peak - baseline).toBeLessThan(maxGrowthBytes);
  });
});

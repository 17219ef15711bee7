import { describe, expect, it } from "vitest";
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

describe("IterAllForCourse over 1,000,000 rows", () => {
  it("streams every row once while the server's memory stays flat", async () => {
    const org = unique("Bulk");
    const course = `course-v1:${org}+Big+2026`;
    // Loaded with SQL behind the service's back: the test is about reading.
    await fixture.db.query(
      `insert into user_state (username, usage_key, scope, context_key, block_type, state, field_modified)
       select 'bulk' || (i / $2), 'block-v1:' || $1 || '+Big+2026+type@problem+block@b' || (i % $2), 'user_state', $3, 'problem',
              jsonb_build_object('attempts', i % 5, 'seed', i, 'answer', repeat('x', 440)), '{}'::jsonb
       from generate_series(0, $4 - 1) as i`,
      [org, blocksPerLearner, course, rowCount],
    );

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
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
    console.log(
      `1M-row stream: ${rows} rows in ${seconds.toFixed(1)} s (${Math.round(rows / seconds)} rows/s); server RSS ${mb(baseline)} MB before, ${mb(peak)} MB peak`,
    );
    expect(rows).toBe(rowCount);
    expect(ordered).toBe(true);
    expect(peak - baseline).toBeLessThan(maxGrowthBytes);
  });
});

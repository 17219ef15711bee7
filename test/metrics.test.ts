import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { collect } from "./support/clients.js";
import { blockKey, expectCode, unique, useServer } from "./support/fixture.js";
import { scrapeMetrics } from "./support/metrics.js";

const fixture = useServer({ env: { LOG_LEVEL: "debug" } });

const scrape = () => scrapeMetrics(fixture.server.metricsUrl);

describe("/metrics", () => {
  it("counts calls, errors, latency and learner-state figures, and shows breaker and pool state", async () => {
    const before = await scrape();
    const username = unique("learner");
    const course = `course-v1:${unique("Org")}+Metrics+2026`;
    const keys = ["a", "b", "c"].map((id) => blockKey(course, "problem", id));
    await fixture.client.setMany({ username, updates: keys.map((key) => ({ blockKey: key, fields: { x: "1", y: '"two"' } })) });
    await collect(fixture.client.getMany({ username, blockKeys: [...keys, blockKey(course, "problem", "missing")] }));
    await collect(fixture.client.iterAllForCourse({ courseKey: course, batchSize: 2 }));
    await expectCode(collect(fixture.client.getMany({ username, blockKeys: ["bad key"] })), Code.InvalidArgument);
    const after = await scrape();
    const moved = (sample: string) => (after.get(sample) ?? 0) - (before.get(sample) ?? 0);

    expect(moved('learnerstate_rpc_requests_total{method="SetMany"}')).toBe(1);
    expect(moved('learnerstate_rpc_requests_total{method="GetMany"}')).toBe(2);
    expect(moved('learnerstate_rpc_errors_total{method="GetMany",code="InvalidArgument"}')).toBe(1);
    expect(moved('learnerstate_rpc_duration_seconds_count{method="SetMany"}')).toBe(1);
    expect(moved('learnerstate_rpc_duration_seconds_count{method="IterAllForCourse"}')).toBe(1);
    expect(moved('learnerstate_blocks_requested_total{method="SetMany"}')).toBe(3);
    expect(moved('learnerstate_blocks_requested_total{method="GetMany"}')).toBe(5);
    expect(moved('learnerstate_blocks_returned_total{method="GetMany"}')).toBe(3);
    expect(moved('learnerstate_fields_written_total{method="SetMany"}')).toBe(6);
    expect(moved('learnerstate_state_bytes_total{method="SetMany",direction="written"}')).toBe(3 * ("1".length + '"two"'.length));
    expect(moved('learnerstate_state_bytes_total{method="GetMany",direction="read"}')).toBe(3 * ("1".length + '"two"'.length));
    expect(moved('learnerstate_rows_streamed_total{method="IterAllForCourse"}')).toBe(3);
    expect(after.get('learnerstate_breaker_state{state="closed"}')).toBe(1);
    expect(after.get('learnerstate_breaker_state{state="open"}')).toBe(0);
    expect(after.has('learnerstate_db_pool_connections{use="used"}')).toBe(true);
    expect(after.get("learnerstate_process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("counts and logs calls whose client went away as CANCELED, never UNKNOWN", async () => {
    const username = unique("learner");
    const course = `course-v1:${unique("Org")}+Cancel+2026`;
    // More than HTTP/2's flow-control window holds, so the server is still sending when the client goes.
    const fields = { x: JSON.stringify("x".repeat(2000)) };
    const updates = Array.from({ length: 300 }, (_, index) => ({ blockKey: blockKey(course, "problem", `p${index}`), fields }));
    await fixture.client.setMany({ username, updates });
    const before = await scrape();
    for (let round = 0; round < 5; round += 1) {
      const abort = new AbortController();
      const stream = fixture.client.iterAllForCourse({ courseKey: course, batchSize: 1 }, { signal: abort.signal });
      await expect(
        (async () => {
          for await (const message of stream) {
            expect(message.blockStates).toHaveLength(1);
            abort.abort();
          }
        })(),
      ).rejects.toThrow();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await scrape();
    const moved = (sample: string) => (after.get(sample) ?? 0) - (before.get(sample) ?? 0);
    expect(moved('learnerstate_rpc_errors_total{method="IterAllForCourse",code="Canceled"}')).toBe(5);
    expect(moved('learnerstate_rpc_errors_total{method="IterAllForCourse",code="Unknown"}')).toBe(0);
    expect(moved('learnerstate_rpc_duration_seconds_count{method="IterAllForCourse"}')).toBe(5);
    const logged = fixture.server.output.filter((line) => line.includes("IterAllForCourse") && line.includes('"code":"Canceled"'));
    expect(logged.length).toBeGreaterThanOrEqual(5);
  });

  it("answers 404 off /metrics", async () => {
    expect((await fetch(fixture.server.metricsUrl.replace("/metrics", "/other"))).status).toBe(404);
  });
});

describe("request ids", () => {
  it("propagates x-request-id into the response headers and the call's log line, and makes one up otherwise", async () => {
    let echoed: string | null = null;
    await fixture.client.setMany(
      { username: unique("learner"), updates: [{ blockKey: blockKey("course-v1:Req+R1+2026", "problem", "p"), fields: { a: "1" } }] },
      { headers: { "x-request-id": "req-abc-123" }, onHeader: (headers) => (echoed = headers.get("x-request-id")) },
    );
    expect(echoed).toBe("req-abc-123");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fixture.server.output.some((line) => line.includes('"requestId":"req-abc-123"') && line.includes("SetMany"))).toBe(true);

    // A stream that fails after it started is logged with the caller's id too.
    await expectCode(collect(fixture.client.getHistory({ username: unique("nobody"), blockKey: blockKey("course-v1:Req+R1+2026", "problem", "p") }, { headers: { "x-request-id": "req-stream-9" } })), Code.NotFound);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fixture.server.output.some((line) => line.includes('"requestId":"req-stream-9"') && line.includes("NotFound"))).toBe(true);

    let madeUp: string | null = null;
    await fixture.client.setMany(
      { username: unique("learner"), updates: [{ blockKey: blockKey("course-v1:Req+R1+2026", "problem", "q"), fields: { a: "1" } }] },
      { onHeader: (headers) => (madeUp = headers.get("x-request-id")) },
    );
    expect(madeUp).toMatch(/^[0-9a-f-]{36}$/u);
  });
});

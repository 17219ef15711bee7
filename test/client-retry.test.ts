import { afterEach, describe, expect, it } from "vitest";
import type pg from "pg";
import { createLearnerStateServices, Overloaded } from "../src/client/index.js";
import { collect } from "./support/clients.js";
import { blockKey, errorInfoOf, expectCode, unique, useServer } from "./support/fixture.js";
import { scrapeMetrics } from "./support/metrics.js";
import { Code } from "@connectrpc/connect";

// One database connection, and no waiting for it: while one call holds it, every new call is turned away.
const fixture = useServer({ env: { DB_POOL_SIZE: "1", ADMISSION_MAX_WAIT_MS: "1" } });

const course = `course-v1:${unique("Org")}+Retry+2026`;
const key = blockKey(course, "problem", "p");

const refusedSoFar = async () => {
  const samples = await scrapeMetrics(fixture.server.metricsUrl);
  return (samples.get('learnerstate_admission_refused_total{reason="would_wait_too_long"}') ?? 0) + (samples.get('learnerstate_admission_refused_total{reason="waited_too_long"}') ?? 0);
};

/** Holds the server's one database connection: a write blocked behind a row lock taken here. Resolves once it is held. */
async function holdTheConnection(): Promise<{ release(): Promise<void> }> {
  const holder = unique("holder");
  await fixture.client.setMany({ username: holder, updates: [{ blockKey: key, fields: { a: "1" } }] });
  const locker: pg.PoolClient = await fixture.db.connect();
  await locker.query("begin");
  await locker.query("select 1 from user_state where username = $1 for update", [holder]);
  const blocked = fixture.client.setMany({ username: holder, updates: [{ blockKey: key, fields: { a: "2" } }] });
  await expect.poll(async () => (await scrapeMetrics(fixture.server.metricsUrl)).get('learnerstate_admission_work{state="running"}')).toBe(1);
  return {
    async release() {
      await locker.query("commit");
      locker.release();
      await blocked;
    },
  };
}

let held: { release(): Promise<void> } | null = null;
afterEach(async () => {
  await held?.release();
  held = null;
});

describe("clients turned away by a server at capacity", () => {
  it("get OVERLOADED with a retry hint, and the client's retry gets the answer once there is room", async () => {
    const reader = unique("reader");
    await fixture.client.setMany({ username: reader, updates: [{ blockKey: key, fields: { answer: '"kept"' } }] });
    held = await holdTheConnection();

    const refusal = await expectCode(collect(fixture.client.getMany({ username: reader, blockKeys: [key] })), Code.ResourceExhausted);
    expect(errorInfoOf(refusal).reason).toBe("OVERLOADED");
    expect(Number(refusal.metadata.get("grpc-retry-pushback-ms"))).toBeGreaterThan(0);

    const refusedBefore = await refusedSoFar();
    const services = createLearnerStateServices({ target: fixture.server.baseUrl, retry: { initialDelayMs: 100, maxAttempts: 10 } });
    const answer = collect(services.userState.getMany({ username: reader, blockKeys: [key] }));
    await expect.poll(refusedSoFar).toBeGreaterThan(refusedBefore);
    const releasing = held.release();
    held = null;
    const states = (await answer).flatMap((message) => message.blockStates);
    await releasing;
    expect(states.map((state) => state.fields["answer"])).toEqual(['"kept"']);
  });

  it("stop retrying once the client's retry budget is spent, so that retries cannot multiply the load", async () => {
    held = await holdTheConnection();
    const services = createLearnerStateServices({ target: fixture.server.baseUrl, retry: { initialDelayMs: 1, maxDelayMs: 5 } });
    const refusedBefore = await refusedSoFar();
    for (let call = 0; call < 10; call += 1) {
      await expect(services.userState.setMany({ username: unique("writer"), updates: [{ blockKey: key, fields: { a: "1" } }] })).rejects.toBeInstanceOf(Overloaded);
    }
    // Budget of 10 tokens, one spent per refusal, retries only above 5: the
    // first call is tried 4 times (its maximum), the second once, and so is
    // every later one while nothing succeeds.
    expect((await refusedSoFar()) - refusedBefore).toBe(4 + 9);
  });
});

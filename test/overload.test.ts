import http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { collect, userStateClient } from "./support/clients.js";
import { blockKey, errorInfoOf, unique, useServer } from "./support/fixture.js";
import { healthOf } from "./support/health.js";
import { scrapeMetrics } from "./support/metrics.js";

// Two connections to the database, so that a few hundred callers are far more than it can take.
const fixture = useServer({ env: { DB_POOL_SIZE: "2", ADMISSION_MAX_WAIT_MS: "20" } });

const floodMs = 2500;
const readerConnections = 12;
const readersPerConnection = 24;
const writers = 16;

interface Refusal {
  readonly reason: string;
  readonly retryInfo: boolean;
  readonly pushbackMs: string | null;
}

/**
 * What a flooding caller saw of one failed call: a refusal, or something else
 * (which must not happen). A refusal is OVERLOADED, or HTTP/2's
 * REFUSED_STREAM for a call opened before the client heard that the server
 * lowered its concurrent calls per connection (never processed, by HTTP/2's
 * definition; connect-node reports it as INTERNAL).
 */
function refusalOf(error: unknown): Refusal | string {
  const connectError = ConnectError.from(error);
  if (/REFUSED_STREAM/u.test(connectError.rawMessage)) return { reason: "REFUSED_STREAM", retryInfo: false, pushbackMs: null };
  if (connectError.code !== Code.ResourceExhausted) return `${Code[connectError.code]}: ${connectError.rawMessage}`;
  return {
    reason: errorInfoOf(connectError).reason,
    retryInfo: connectError.details.some((detail) => "type" in detail && detail.type === "google.rpc.RetryInfo"),
    pushbackMs: connectError.metadata.get("grpc-retry-pushback-ms"),
  };
}

describe("a flood of calls, far beyond what the database takes", () => {
  it("is served at capacity and refused beyond it: fewer calls per connection, fast OVERLOADED with a retry hint, the breaker closed, health answering, no admitted write lost, and full service once it stops", async () => {
    const username = unique("learner");
    const course = `course-v1:${unique("Org")}+Flood+2026`;
    const problems = Array.from({ length: 100 }, (_, index) => blockKey(course, "problem", `p${index}`));
    await fixture.client.setMany({ username, updates: problems.map((key, index) => ({ blockKey: key, fields: { answer: String(index) } })) });
    const before = await scrapeMetrics(fixture.server.metricsUrl);

    // A connection of its own that only listens to what the server advertises.
    const watcher = http2.connect(fixture.server.baseUrl);
    await new Promise((resolve) => watcher.once("remoteSettings", resolve));
    const normalStreams = watcher.remoteSettings.maxConcurrentStreams;
    let fewestStreams = normalStreams ?? Infinity;
    watcher.on("remoteSettings", (settings) => (fewestStreams = Math.min(fewestStreams, settings.maxConcurrentStreams ?? Infinity)));

    let flooding = true;
    const refusals: Refusal[] = [];
    const otherFailures: string[] = [];
    let readsServed = 0;
    const readers = Array.from({ length: readerConnections }, async () => {
      const client = userStateClient(fixture.server.baseUrl);
      await Promise.all(
        Array.from({ length: readersPerConnection }, async () => {
          while (flooding) {
            try {
              const states = (await collect(client.getMany({ username, blockKeys: problems }))).flatMap((message) => message.blockStates);
              expect(states.map((state) => state.fields["answer"])).toEqual(problems.map((_, index) => String(index)));
              readsServed += 1;
            } catch (error) {
              const refusal = refusalOf(error);
              if (typeof refusal === "string") otherFailures.push(refusal);
              else refusals.push(refusal);
            }
          }
        }),
      );
    });

    // Each write names its own field: acknowledged ones must be there afterwards, refused ones must not.
    const writeOutcomes: Array<{ readonly key: string; readonly field: string; readonly acknowledged: boolean }> = [];
    const writing = Array.from({ length: writers }, async (_, writer) => {
      const client = userStateClient(fixture.server.baseUrl);
      const key = blockKey(course, "problem", `w${writer}`);
      for (let sequence = 0; flooding; sequence += 1) {
        const field = `s${sequence}`;
        try {
          await client.setMany({ username, updates: [{ blockKey: key, fields: { [field]: String(sequence) } }] });
          writeOutcomes.push({ key, field, acknowledged: true });
        } catch (error) {
          const refusal = refusalOf(error);
          if (typeof refusal === "string") otherFailures.push(refusal);
          else refusals.push(refusal);
          writeOutcomes.push({ key, field, acknowledged: false });
        }
      }
    });

    const healthAnswers: string[] = [];
    const healthMs: number[] = [];
    const breakerStates: Array<number | undefined> = [];
    const watching = (async () => {
      while (flooding) {
        const asked = performance.now();
        healthAnswers.push(await healthOf(fixture.server.baseUrl));
        healthMs.push(performance.now() - asked);
        breakerStates.push((await scrapeMetrics(fixture.server.metricsUrl)).get('learnerstate_breaker_state{state="closed"}'));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, floodMs));
    flooding = false;
    await Promise.all([...readers, ...writing, watching]);

    // Once the flood is over, every call is served at once.
    for (let call = 0; call < 10; call += 1) {
      const states = (await collect(fixture.client.getMany({ username, blockKeys: problems }))).flatMap((message) => message.blockStates);
      expect(states).toHaveLength(problems.length);
    }

    console.log(`flood: ${readsServed} reads served, ${refusals.length} refused (${refusals.filter((refusal) => refusal.reason === "REFUSED_STREAM").length} as REFUSED_STREAM), ${writeOutcomes.filter((o) => o.acknowledged).length} writes; health ms ${healthMs.map((ms) => Math.round(ms)).join(" ")}`);
    // Under the flood every connection was told to open fewer calls at once; afterwards, as many as before.
    expect(normalStreams).toBe(100);
    expect(fewestStreams).toBeLessThan(100);
    await expect.poll(() => watcher.remoteSettings.maxConcurrentStreams, { timeout: 15_000 }).toBe(normalStreams);
    watcher.close();
    expect(otherFailures).toEqual([]);
    expect(readsServed).toBeGreaterThan(0);
    const overloaded = refusals.filter((refusal) => refusal.reason !== "REFUSED_STREAM");
    expect(overloaded.length).toBeGreaterThan(0);
    for (const refusal of overloaded) {
      expect(refusal.reason).toBe("OVERLOADED");
      expect(refusal.retryInfo).toBe(true);
      expect(Number(refusal.pushbackMs)).toBeGreaterThan(0);
    }
    expect(healthAnswers.length).toBeGreaterThan(3);
    expect(new Set(healthAnswers)).toEqual(new Set(["SERVING"]));
    expect(new Set(breakerStates)).toEqual(new Set([1]));

    const stored = new Map<string, Record<string, string>>();
    const written = [...new Set(writeOutcomes.map((outcome) => outcome.key))];
    for (const message of await collect(fixture.client.getMany({ username, blockKeys: written }))) {
      for (const state of message.blockStates) stored.set(state.blockKey, state.fields);
    }
    const acknowledged = writeOutcomes.filter((outcome) => outcome.acknowledged);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.filter((outcome) => stored.get(outcome.key)?.[outcome.field] === undefined)).toEqual([]);
    expect(writeOutcomes.filter((outcome) => !outcome.acknowledged && stored.get(outcome.key)?.[outcome.field] !== undefined)).toEqual([]);

    const after = await scrapeMetrics(fixture.server.metricsUrl);
    const moved = (sample: string) => (after.get(sample) ?? 0) - (before.get(sample) ?? 0);
    const refusedByServer = moved('learnerstate_admission_refused_total{reason="would_wait_too_long"}') + moved('learnerstate_admission_refused_total{reason="waited_too_long"}');
    expect(refusedByServer).toBe(overloaded.length);
    expect(moved('learnerstate_rpc_errors_total{method="GetMany",code="Unavailable"}')).toBe(0);
    expect(moved('learnerstate_rpc_errors_total{method="SetMany",code="Unavailable"}')).toBe(0);
    expect(after.get('learnerstate_admission_work{state="limit"}')).toBe(2);
  });
});

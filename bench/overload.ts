// Overload: GetMany(100) from h2load at the concurrency where the server is
// at its peak and at 32 times it, then a flood of GetMany, SetMany and
// IterAll at once. h2load does not wait or back off: every refused call is
// sent again at once, the worst a crowd of callers can do. A probe beside
// it (one call at a time, over a connection of its own) times admitted and
// refused calls apart, which h2load cannot (gRPC statuses travel in
// trailers), and writes fields it checks afterwards. See docs/benchmarks.md.
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { UserStateService } from "../gen/learnerstate/v1/user_state_service_pb.js";
import { parseH2load, run, type CTools, type H2loadReport, type ServiceTarget } from "./c-clients.js";
import { percentile } from "./measure.js";
import { scrapeMetrics } from "./metrics-scrape.js";

/** What the overload runs need. */
export interface OverloadOptions {
  readonly tools: CTools;
  readonly target: ServiceTarget;
  /** A directory for h2load's request files. */
  readonly directory: string;
  readonly seconds: number;
  /** Calls in flight at which the server's throughput peaks (the C comparison's callers). */
  readonly peakConcurrency: number;
  /** Pre-encoded gRPC request bodies, one per learner: the h2load processes take turns with them. */
  readonly bodies: { readonly getMany: readonly Buffer[]; readonly setMany: readonly Buffer[]; readonly iterAll: readonly Buffer[] };
  /** The probe's reads: a learner's 100 problems; its writes go to `writeKey` of the same learner. */
  readonly probe: { readonly username: string; readonly blockKeys: readonly string[]; readonly writeKey: string };
  /** Attributes the server's RSS samples from now on to `phase`. */
  enterPhase(phase: string): void;
  /** The server's highest RSS sample in `phase`, in bytes. */
  peakRss(phase: string): number;
}

/** What one load level did. */
export interface OverloadLevel {
  readonly name: string;
  readonly inFlight: number;
  /** Per method: calls answered OK per second. */
  readonly okPerSecond: Readonly<Record<string, number>>;
  /** Rows IterAllForCourse streamed per second (its whole-course calls rarely end within a level). */
  readonly rowsStreamedPerSecond: number;
  readonly refusedPerSecond: number;
  /** Failures other than OVERLOADED and h2load's closing resets, by code: there should be none. */
  readonly otherFailures: Readonly<Record<string, number>>;
  readonly probe: ProbeFigures;
  /** The server's event-loop delay over the level (prom-client's 10 ms sampling timer: about 10 when idle), p99 and max, ms. */
  readonly loopDelayMs: { readonly p99: number; readonly max: number };
  readonly rssBytes: number;
}

/** The probe's calls, admitted and refused apart. */
export interface ProbeFigures {
  readonly okMs: readonly number[];
  readonly refusedMs: readonly number[];
  /** Failures other than OVERLOADED, as `code: message`. */
  readonly failures: readonly string[];
  /** Writes acknowledged, and of them found afterwards; writes refused, and of them found afterwards. */
  readonly writes: { readonly acknowledged: number; readonly acknowledgedFound: number; readonly refused: number; readonly refusedFound: number };
}

/** The server's counters, by `name{labels}`. */
/** One h2load process per body, `connections` × `streams` calls in flight each, for `seconds`. */
async function flood(options: OverloadOptions, method: string, bodies: readonly Buffer[], inFlight: number): Promise<H2loadReport[]> {
  if (inFlight === 0) return [];
  const processes = Math.min(bodies.length, 8, inFlight);
  const perProcess = Math.max(1, Math.round(inFlight / processes));
  const connections = Math.min(perProcess, 8);
  const streams = Math.max(1, Math.round(perProcess / connections));
  const url = `${options.target.baseUrl}/${UserStateService.typeName}/${method}`;
  return Promise.all(
    bodies.slice(0, processes).map(async (body, index) => {
      const file = path.join(options.directory, `overload-${method}-${index}.bin`);
      await writeFile(file, body);
      const args = ["-D", String(options.seconds), "-c", String(connections), "-m", String(streams), "-d", file, "-H", "content-type: application/grpc", "-H", "te: trailers", url];
      return parseH2load(await run(options.tools.h2load, args));
    }),
  );
}

/** Times the probe's calls, one at a time, until `stop` resolves; then checks its writes. */
async function runProbe(client: Client<typeof UserStateService>, options: OverloadOptions, writes: boolean, stop: Promise<void>): Promise<ProbeFigures> {
  let running = true;
  void stop.then(() => (running = false));
  const okMs: number[] = [];
  const refusedMs: number[] = [];
  const failures: string[] = [];
  const written: Array<{ readonly field: string; readonly acknowledged: boolean }> = [];
  const { username, blockKeys, writeKey } = options.probe;
  const timed = async (call: () => Promise<unknown>): Promise<boolean> => {
    const started = performance.now();
    try {
      await call();
      okMs.push(performance.now() - started);
      return true;
    } catch (error) {
      const failure = ConnectError.from(error);
      if (failure.code === Code.ResourceExhausted) refusedMs.push(performance.now() - started);
      else failures.push(`${Code[failure.code]}: ${failure.rawMessage}`);
      return false;
    }
  };
  for (let sequence = 0; running; sequence += 1) {
    await timed(async () => {
      for await (const message of client.getMany({ username, blockKeys: [...blockKeys] })) void message;
    });
    if (writes) {
      const field = `probe_${Date.now()}_${sequence}`;
      const acknowledged = await timed(() => client.setMany({ username, updates: [{ blockKey: writeKey, fields: { [field]: String(sequence) } }] }));
      written.push({ field, acknowledged });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  let stored: Record<string, string> = {};
  for await (const message of client.getMany({ username, blockKeys: [writeKey] })) stored = message.blockStates[0]?.fields ?? stored;
  const acknowledged = written.filter((write) => write.acknowledged);
  const refused = written.filter((write) => !write.acknowledged);
  return {
    okMs,
    refusedMs,
    failures,
    writes: {
      acknowledged: acknowledged.length,
      acknowledgedFound: acknowledged.filter((write) => stored[write.field] !== undefined).length,
      refused: refused.length,
      refusedFound: refused.filter((write) => stored[write.field] !== undefined).length,
    },
  };
}

/** Runs one load level: `load` (h2load floods) while the probe times its calls. */
async function level(
  options: OverloadOptions,
  probeClient: Client<typeof UserStateService>,
  name: string,
  inFlight: Readonly<Record<string, number>>,
  writes: boolean,
): Promise<OverloadLevel> {
  options.enterPhase(`overload: ${name}`);
  const before = await scrapeMetrics(options.target.metricsUrl);
  const started = performance.now();
  let loadDone: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (loadDone = resolve));
  const probe = runProbe(probeClient, options, writes, stopped);
  const bodiesOf: Record<string, readonly Buffer[]> = { GetMany: options.bodies.getMany, SetMany: options.bodies.setMany, IterAllForCourse: options.bodies.iterAll };
  const floods = Object.entries(inFlight).map(([method, count]) => flood(options, method, bodiesOf[method]!, count));
  if (floods.length === 0) await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  await Promise.all(floods);
  const seconds = (performance.now() - started) / 1000;
  loadDone();
  const probed = await probe;
  const after = await scrapeMetrics(options.target.metricsUrl);
  const moved = (sample: string) => (after.get(sample) ?? 0) - (before.get(sample) ?? 0);
  const okPerSecond: Record<string, number> = {};
  const otherFailures: Record<string, number> = {};
  for (const method of Object.keys(inFlight)) {
    let failed = 0;
    for (const [sample] of after) {
      const match = new RegExp(`^learnerstate_rpc_errors_total\\{method="${method}",code="(\\w+)"\\}$`, "u").exec(sample);
      if (match === null) continue;
      const count = moved(sample);
      failed += count;
      // h2load ends its window by resetting the calls in flight (CANCELED); OVERLOADED is the refusal measured here.
      if (count > 0 && match[1] !== "Canceled" && match[1] !== "ResourceExhausted") otherFailures[`${method} ${match[1]}`] = count;
    }
    okPerSecond[method] = (moved(`learnerstate_rpc_requests_total{method="${method}"}`) - failed) / seconds;
  }
  const refused = moved('learnerstate_admission_refused_total{reason="would_wait_too_long"}') + moved('learnerstate_admission_refused_total{reason="waited_too_long"}');
  return {
    name,
    inFlight: Object.values(inFlight).reduce((sum, count) => sum + count, 0),
    okPerSecond,
    rowsStreamedPerSecond: moved('learnerstate_rows_streamed_total{method="IterAllForCourse"}') / seconds,
    refusedPerSecond: refused / seconds,
    otherFailures,
    probe: probed,
    // prom-client resets its event-loop histogram at each scrape: these cover the level alone.
    loopDelayMs: { p99: (after.get("learnerstate_nodejs_eventloop_lag_p99_seconds") ?? Number.NaN) * 1000, max: (after.get("learnerstate_nodejs_eventloop_lag_max_seconds") ?? Number.NaN) * 1000 },
    rssBytes: options.peakRss(`overload: ${name}`),
  };
}

/**
 * The overload runs: the probe alone (unloaded latency), GetMany(100) at the
 * peak concurrency and at 32 times it, and the mix at 32 times it.
 */
export async function measureOverload(options: OverloadOptions): Promise<OverloadLevel[]> {
  const transport = createGrpcTransport({ baseUrl: options.target.baseUrl });
  const client = createClient(UserStateService, transport);
  const peak = options.peakConcurrency;
  const flooded = 32 * peak;
  return [
    await level(options, client, "probe alone", {}, false),
    await level(options, client, `GetMany(100), ${peak} in flight`, { GetMany: peak }, false),
    await level(options, client, `GetMany(100), ${flooded} in flight`, { GetMany: flooded }, false),
    await level(options, client, `mix, ${flooded} in flight`, { GetMany: flooded / 2, SetMany: flooded / 4, IterAllForCourse: 8 }, true),
  ];
}

const ms = (value: number) => (Number.isNaN(value) ? "–" : value.toFixed(1));

/** The overload table and its targets, in Markdown. */
export function formatOverload(levels: readonly OverloadLevel[]): string[] {
  const sorted = (values: readonly number[]) => [...values].sort((a, b) => a - b);
  const lines = [
    "| load | in flight | OK calls/s (by method; IterAll: rows streamed) | refused (OVERLOADED)/s | other failures | probe: admitted p50 / p99 ms | probe: refused p50 / max ms | probe writes: acknowledged (found) / refused (found) | server event-loop delay p99 / max ms | server RSS peak |",
    "| --- | ---: | --- | ---: | --- | --- | --- | --- | --- | ---: |",
  ];
  for (const entry of levels) {
    const ok = sorted(entry.probe.okMs);
    const refused = sorted(entry.probe.refusedMs);
    const methods =
      Object.entries(entry.okPerSecond)
        .map(([method, rate]) => (method === "IterAllForCourse" ? `IterAllForCourse ${entry.rowsStreamedPerSecond.toFixed(0)} rows/s` : `${method} ${rate.toFixed(0)}`))
        .join(", ") || "–";
    const failures = [...Object.entries(entry.otherFailures).map(([what, count]) => `${what} ×${count}`), ...entry.probe.failures.slice(0, 3)].join("; ") || "none";
    const { writes } = entry.probe;
    const written = writes.acknowledged + writes.refused === 0 ? "–" : `${writes.acknowledged} (${writes.acknowledgedFound}) / ${writes.refused} (${writes.refusedFound})`;
    lines.push(
      `| ${entry.name} | ${entry.inFlight} | ${methods} | ${entry.refusedPerSecond.toFixed(0)} | ${failures} | ${ms(percentile(ok, 50))} / ${ms(percentile(ok, 99))} | ` +
        `${ms(percentile(refused, 50))} / ${ms(refused.at(-1) ?? Number.NaN)} | ${written} | ${ms(entry.loopDelayMs.p99)} / ${ms(entry.loopDelayMs.max)} | ${(entry.rssBytes / 1024 / 1024).toFixed(0)} MB |`,
    );
  }
  const [alone, atPeak, flooded, mix] = levels;
  if (alone !== undefined && atPeak !== undefined && flooded !== undefined) {
    const goodput = (flooded.okPerSecond["GetMany"] ?? 0) / Math.max(1e-9, atPeak.okPerSecond["GetMany"] ?? 0);
    const p99 = (figures: ProbeFigures) => percentile(sorted(figures.okMs), 99);
    const refusedMs = [...flooded.probe.refusedMs, ...(mix?.probe.refusedMs ?? [])];
    const refusedMax = Math.max(...refusedMs);
    const verdict = (met: boolean) => (met ? "met" : "missed");
    lines.push(
      "",
      `- goodput at ${flooded.inFlight} in flight: ${(goodput * 100).toFixed(0)} % of the peak's (target ≥ 90 %: ${verdict(goodput >= 0.9)})`,
      `- admitted p99 at ${flooded.inFlight} in flight: ${ms(p99(flooded.probe))} ms, ${(p99(flooded.probe) / p99(alone.probe)).toFixed(1)}× the unloaded p99 (${ms(p99(alone.probe))} ms) and ` +
        `${(p99(flooded.probe) / p99(atPeak.probe)).toFixed(1)}× the p99 at the peak (${ms(p99(atPeak.probe))} ms) (target ≤ 2× unloaded: ${verdict(p99(flooded.probe) <= 2 * p99(alone.probe))})`,
      refusedMs.length === 0
        ? "- refused calls: the probe had none refused, so their time is not measured (target ≤ 10 ms: not shown by this run)"
        : `- refused calls answered within ${ms(refusedMax)} ms at most (target ≤ 10 ms: ${verdict(refusedMax <= 10)})`,
      `- server RSS at most ${(Math.max(...levels.map((entry) => entry.rssBytes)) / 1024 / 1024).toFixed(0)} MB (target < 200 MB: ${verdict(Math.max(...levels.map((entry) => entry.rssBytes)) < 200 * 1024 * 1024)})`,
    );
    if (mix !== undefined) {
      const { writes } = mix.probe;
      const honest = writes.acknowledged === writes.acknowledgedFound && writes.refusedFound === 0 && Object.keys(mix.otherFailures).length === 0 && mix.probe.failures.length === 0;
      lines.push(`- the mix: every acknowledged write found, no refused write applied, no other failure: ${honest ? "yes" : "NO"}`);
    }
  }
  return lines;
}

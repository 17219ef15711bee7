// The change feed: SetMany at a fixed rate into one course, watched by 0, 1
// and 100 WatchChanges streams in turn. Prints how long a change takes from
// its write (its update time, from the database clock on this machine) to
// each watcher, whether every watcher got every change, and what the watchers
// cost PostgreSQL: its CPU above the writes alone, and the feed's reads.
import http2 from "node:http2";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { SetManyRequestSchema, UserStateService, WatchChangesRequestSchema } from "../gen/learnerstate/v1/user_state_service_pb.js";
import { grpcBody, parseH2load, run } from "./c-clients.js";
import { percentile, trackCpu } from "./measure.js";
import { scrapeMetrics, sumOf } from "./metrics-scrape.js";

/** What the watch runs need. */
export interface WatchBenchOptions {
  readonly baseUrl: string;
  readonly metricsUrl: string;
  readonly serverPid: number;
  /** The course written and watched (one of its own, so that the data set stays as loaded). */
  readonly courseKey: string;
  /** Block keys of that course, written in turn. */
  readonly blockKeys: readonly string[];
  readonly usernames: readonly string[];
  readonly writesPerSecond: number;
  readonly seconds: number;
  readonly watcherCounts: readonly number[];
  /** h2load, which sends the writes: a writer in this process would take the CPU the server and watchers need. */
  readonly h2load: string;
  /** A directory for h2load's request files. */
  readonly directory: string;
}

/** What one level did. */
export interface WatchLevel {
  readonly watchers: number;
  readonly writesPerSecond: number;
  /** Changes delivered per second, over all watchers. */
  readonly deliveriesPerSecond: number;
  /**
   * The fewest and the most changes of the level one watcher got. Every
   * watcher should get every acknowledged write, and all the same number:
   * h2load cuts the calls in flight when its time is up, and those writes may
   * still commit, unacknowledged, and be delivered.
   */
  readonly leastComplete: number;
  readonly mostComplete: number;
  readonly acknowledged: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly sharedReadsPerSecond: number;
  readonly catchUpReadsPerSecond: number;
  /** PostgreSQL's CPU, ms per second of the level. */
  readonly postgresCpuMsPerSecond: number;
  readonly serverCpuMsPerSecond: number;
  /** This process's CPU (the writer and the watchers' reading), and the whole machine's, ms per second. */
  readonly benchCpuMsPerSecond: number;
  readonly machineCpuMsPerSecond: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SetMany calls that failed since `before` (h2load counts a gRPC error as a success: its status is in the trailers). */
async function writeErrors(metricsUrl: string, before: ReadonlyMap<string, number>): Promise<number> {
  const label = 'method="SetMany"';
  return sumOf(await scrapeMetrics(metricsUrl), "learnerstate_rpc_errors_total", label) - sumOf(before, "learnerstate_rpc_errors_total", label);
}

/**
 * A WatchChanges stream from now, read by hand (node:http2, gRPC framing, and
 * only the fields the bench needs scanned out of each change) so that a
 * hundred watchers in this process cost far less than the server they
 * measure. `onChange` gets each change's update time (ms since the epoch)
 * and field names; `opened` resolves at the stream's first message.
 */
function rawWatch(session: http2.ClientHttp2Session, courseKey: string, onChange: (updateMs: number, fieldNames: string[]) => void) {
  const stream = session.request({
    ":method": "POST",
    ":path": `/${UserStateService.typeName}/WatchChanges`,
    "content-type": "application/grpc",
    te: "trailers",
  });
  stream.end(grpcBody(WatchChangesRequestSchema, { courseKey }));
  let pending: Buffer = Buffer.alloc(0);
  let first: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (first = resolve));
  stream.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
      const length = pending.readUInt32BE(1);
      const message = new BinaryReader(pending.subarray(5, 5 + length));
      pending = pending.subarray(5 + length);
      first();
      while (message.pos < message.len) {
        const [field, wireType] = message.tag();
        if (field !== 1) {
          message.skip(wireType);
          continue;
        }
        const change = new BinaryReader(message.bytes());
        const names: string[] = [];
        let updateMs = 0;
        while (change.pos < change.len) {
          const [changeField, changeWire] = change.tag();
          if (changeField === 7) names.push(change.string());
          else if (changeField === 8) {
            const time = new BinaryReader(change.bytes());
            while (time.pos < time.len) {
              const [timeField, timeWire] = time.tag();
              if (timeField === 1) updateMs += Number(time.int64()) * 1000;
              else if (timeField === 2) updateMs += time.int32() / 1e6;
              else time.skip(timeWire);
            }
          } else change.skip(changeWire);
        }
        onChange(updateMs, names);
      }
    }
  });
  const ended = new Promise<void>((resolve) => {
    stream.on("close", resolve);
    stream.on("error", () => undefined);
  });
  return { opened, close: () => stream.close(http2.constants.NGHTTP2_CANCEL), ended };
}

async function measureLevel(options: WatchBenchOptions, watchers: number, round: number): Promise<WatchLevel> {
  // At most 50 streams on each connection (servers allow 100).
  const sessions = Array.from({ length: Math.max(1, Math.ceil(watchers / 50)) }, () => http2.connect(options.baseUrl));
  const latencies: number[] = [];
  const received = new Array<number>(watchers).fill(0);
  const marker = `w${round}`;
  // Each watcher starts from now and counts the level's changes (their field names carry the level's marker).
  const streams = Array.from({ length: watchers }, (_, index) =>
    rawWatch(sessions[index % sessions.length]!, options.courseKey, (updateMs, fieldNames) => {
      if (!fieldNames.includes(marker)) return;
      received[index]! += 1;
      latencies.push(Date.now() - updateMs);
    }),
  );
  await Promise.all(streams.map((stream) => stream.opened));

  const metricsBefore = await scrapeMetrics(options.metricsUrl);
  const cpu = trackCpu(options.serverPid);
  const started = performance.now();
  // Writers at a fixed rate: h2load processes of two connections, each
  // process writing one learner's block, the field named by the level's marker.
  const writers = 5;
  const reports = await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      const file = path.join(options.directory, `watch-${round}-${writer}.bin`);
      const update = { blockKey: options.blockKeys[writer % options.blockKeys.length]!, fields: { [marker]: "1" } };
      await writeFile(file, grpcBody(SetManyRequestSchema, { username: options.usernames[writer % options.usernames.length]!, updates: [update] }));
      const output = await run(options.h2load, [
        ...["-c", "2", "-m", "1", "--rps", String(options.writesPerSecond / writers / 2), "-D", String(options.seconds), "-d", file],
        ...["-H", "content-type: application/grpc", "-H", "te: trailers", `${options.baseUrl}/${UserStateService.typeName}/SetMany`],
      ]);
      return parseH2load(output);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const failedWrites = await writeErrors(options.metricsUrl, metricsBefore);
  const acknowledged = reports.reduce((sum, report) => sum + report.done, 0) - failedWrites;
  // Until every watcher has every acknowledged change, or 5 s.
  const waitUntil = Date.now() + 5000;
  while (received.some((count) => count < acknowledged) && Date.now() < waitUntil) await sleep(20);
  const spent = cpu.stop();
  const metricsAfter = await scrapeMetrics(options.metricsUrl);
  for (const stream of streams) stream.close();
  await Promise.all(streams.map((stream) => stream.ended));
  for (const session of sessions) session.close();
  const reads = (reader: string) =>
    (sumOf(metricsAfter, "learnerstate_change_feed_reads_total", `reader="${reader}"`) - sumOf(metricsBefore, "learnerstate_change_feed_reads_total", `reader="${reader}"`)) / seconds;
  const sorted = latencies.sort((a, b) => a - b);
  return {
    watchers,
    writesPerSecond: acknowledged / seconds,
    deliveriesPerSecond: latencies.length / seconds,
    leastComplete: watchers === 0 ? acknowledged : Math.min(...received),
    mostComplete: watchers === 0 ? acknowledged : Math.max(...received),
    acknowledged,
    p50Ms: sorted.length === 0 ? 0 : percentile(sorted, 50),
    p99Ms: sorted.length === 0 ? 0 : percentile(sorted, 99),
    maxMs: sorted.length === 0 ? 0 : sorted[sorted.length - 1]!,
    sharedReadsPerSecond: reads("shared"),
    catchUpReadsPerSecond: reads("catch-up"),
    postgresCpuMsPerSecond: (spent.postgres * 1000) / seconds,
    serverCpuMsPerSecond: (spent.server * 1000) / seconds,
    benchCpuMsPerSecond: (spent.bench * 1000) / seconds,
    machineCpuMsPerSecond: (spent.machine * 1000) / seconds,
  };
}

/** Runs each level of `watcherCounts` in turn. */
export async function measureWatch(options: WatchBenchOptions): Promise<WatchLevel[]> {
  const levels: WatchLevel[] = [];
  for (const [round, watchers] of options.watcherCounts.entries()) levels.push(await measureLevel(options, watchers, round));
  return levels;
}

/** Whether every watcher got every acknowledged write, and the same changes as every other watcher. */
function completeness(level: WatchLevel): string {
  if (level.watchers === 0) return "–";
  if (level.leastComplete !== level.mostComplete) return `no: ${level.leastComplete} to ${level.mostComplete} of ${level.acknowledged} acknowledged`;
  if (level.leastComplete < level.acknowledged) return `no: ${level.leastComplete} of ${level.acknowledged} acknowledged`;
  const unacknowledged = level.leastComplete - level.acknowledged;
  return unacknowledged === 0 ? "yes" : `yes (and ${unacknowledged} written as h2load cut their calls)`;
}

/** The table of the levels, and the targets. */
export function formatWatch(levels: readonly WatchLevel[], writesPerSecond: number): string[] {
  const alone = levels.find((level) => level.watchers === 0);
  const lines = [
    "| watchers | writes/s | changes delivered/s | every watcher got every change | latency from the write p50 / p99 / max ms | feed reads/s: shared / catch-up | PostgreSQL CPU ms/s (above the writes alone) | server CPU ms/s | bench / machine CPU ms/s |",
    "| ---: | ---: | ---: | --- | --- | --- | ---: | ---: | ---: |",
  ];
  for (const level of levels) {
    const above = alone === undefined || level === alone ? "" : ` (${(level.postgresCpuMsPerSecond - alone.postgresCpuMsPerSecond).toFixed(0)})`;
    lines.push(
      `| ${level.watchers} | ${level.writesPerSecond.toFixed(0)} | ${level.deliveriesPerSecond.toFixed(0)} | ${completeness(level)} | ` +
        `${level.watchers === 0 ? "–" : `${level.p50Ms.toFixed(1)} / ${level.p99Ms.toFixed(1)} / ${level.maxMs.toFixed(0)}`} | ${level.sharedReadsPerSecond.toFixed(1)} / ${level.catchUpReadsPerSecond.toFixed(1)} | ` +
        `${level.postgresCpuMsPerSecond.toFixed(0)}${above} | ${level.serverCpuMsPerSecond.toFixed(0)} | ${level.benchCpuMsPerSecond.toFixed(0)} / ${level.machineCpuMsPerSecond.toFixed(0)} |`,
    );
  }
  const one = levels.find((level) => level.watchers === 1);
  const hundred = levels.find((level) => level.watchers === 100);
  if (hundred !== undefined) {
    lines.push("");
    lines.push(`Target: p99 from write to delivery under 100 ms at ${writesPerSecond} writes/s with 100 watchers: ${hundred.p99Ms < 100 ? "met" : "missed"} (${hundred.p99Ms.toFixed(1)} ms).`);
    if (one !== undefined && alone !== undefined) {
      const cost = (level: WatchLevel) => level.postgresCpuMsPerSecond - alone.postgresCpuMsPerSecond;
      lines.push(
        `100 watchers cost PostgreSQL ${cost(hundred).toFixed(0)} ms of CPU per second above the writes alone, 1 watcher ${cost(one).toFixed(0)} ms; feed reads ${(hundred.sharedReadsPerSecond + hundred.catchUpReadsPerSecond).toFixed(1)}/s against ${(one.sharedReadsPerSecond + one.catchUpReadsPerSecond).toFixed(1)}/s.`,
      );
    }
  }
  return lines;
}

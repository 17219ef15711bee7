import { execFileSync } from "node:child_process";
import { setMaxListeners } from "node:events";
import { readdirSync, readFileSync } from "node:fs";

/** What one side of one scenario did in its measured window. */
export interface Measurement {
  /** Operations completed in the window. */
  readonly ops: number;
  /** Rows (blocks) returned or written by those operations. */
  readonly rows: number;
  readonly errors: number;
  /** Length of the window in seconds. */
  readonly seconds: number;
  /** Latency of each completed operation in milliseconds, sorted. */
  readonly latenciesMs: readonly number[];
  /** CPU seconds spent in the window by the server, this process, PostgreSQL and the whole machine. */
  readonly cpu: CpuSpent;
  /** The first error seen, for the report. */
  readonly firstError: string | null;
}

/** The nearest-rank percentile `p` (0..100) of sorted `values`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** A deterministic pseudo-random generator (mulberry32), so both sides of a scenario make the same choices. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------
// CPU accounting from /proc: the server process, this process, every process
// named `postgres` (backends, walwriter, checkpointer...) and the machine as a
// whole. Other work on the machine shows as machine time none of the three
// used, or, when it uses the same database server, in PostgreSQL's share.

const clockTicks = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

// Read synchronously, so that a reading is one instant even when the event
// loop is busy (awaiting ~200 reads there spreads one over seconds).

/** utime + stime of /proc/<pid>/stat, in seconds, and its command name. */
function processCpu(pid: number | string): { name: string; seconds: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const name = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    // Fields after the name start at field 3 (state); utime is field 14, stime 15.
    return { name, seconds: (Number(fields[11]) + Number(fields[12])) / clockTicks };
  } catch {
    return null;
  }
}

/** CPU seconds used in an interval. */
export interface CpuSpent {
  /** By the server process (every thread: main, GC helpers, libuv pool). */
  readonly server: number;
  /** By this process: the load generator and its clients. */
  readonly bench: number;
  /** By every process named postgres. */
  readonly postgres: number;
  /** By the whole machine (all CPUs, /proc/stat), whoever used it. */
  readonly machine: number;
}

/** A reading of the CPU counters, to subtract from a later one. */
export interface CpuReading {
  readonly server: number;
  readonly bench: number;
  /** Per postgres pid: backends come and go, so each is counted from its own first reading. */
  readonly postgres: ReadonlyMap<string, number>;
  readonly machine: number;
}

function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = line.split(/\s+/u).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / clockTicks;
}

/** Reads the CPU seconds used so far by `serverPid` (when given), this process, each postgres process and the machine. */
export function cpuNow(serverPid: number | null): CpuReading {
  const server = serverPid === null ? 0 : (processCpu(serverPid)?.seconds ?? 0);
  const own = process.cpuUsage();
  const postgres = new Map<string, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/u.test(entry)) continue;
    const cpu = processCpu(entry);
    if (cpu !== null && cpu.name === "postgres") postgres.set(entry, cpu.seconds);
  }
  return { server, bench: (own.user + own.system) / 1e6, postgres, machine: machineBusySeconds() };
}

/**
 * CPU used between two readings. A postgres process that started in between
 * counts from zero; one that ended in between is lost (backends of pooled
 * connections live through a window, so this is small).
 */
export function cpuBetween(before: CpuReading, after: CpuReading): CpuSpent {
  let postgres = 0;
  for (const [pid, seconds] of after.postgres) postgres += seconds - (before.postgres.get(pid) ?? 0);
  return { server: after.server - before.server, bench: after.bench - before.bench, postgres, machine: after.machine - before.machine };
}

/**
 * CPU used from now until `stop()`, counting processes that start and exit in
 * between: PostgreSQL backends of short-lived clients (pgbench, psql) are gone
 * before a closing reading could see them, so every postgres process is
 * sampled every `intervalMs` and counted at its last sample.
 */
export function trackCpu(serverPid: number | null, intervalMs = 100): { stop(): CpuSpent } {
  const before = cpuNow(serverPid);
  const lastSeen = new Map(before.postgres);
  const sample = () => {
    for (const [pid, seconds] of cpuNow(null).postgres) lastSeen.set(pid, seconds);
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const after = cpuNow(serverPid);
      for (const [pid, seconds] of after.postgres) lastSeen.set(pid, seconds);
      return cpuBetween(before, { ...after, postgres: lastSeen });
    },
  };
}

// ---------------------------------------------------------------------------

/** One operation of a worker: resolves with the rows it returned or wrote. */
export type Operation = (worker: number, random: () => number) => Promise<number>;

export interface TimedOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Seed of the workers' random choices (worker w uses seed + w). */
  readonly seed: number;
  /** The server's pid for CPU accounting, or null on the raw side. */
  readonly serverPid: number | null;
  /** Rows each operation must return; a different count is an error. */
  readonly expectedRows: number;
}

/**
 * Runs `operation` in `concurrency` closed loops: `warmupMs` unmeasured, then
 * `durationMs` measured. An operation counts when it completes inside the
 * window; its latency is its own duration (queueing for a pooled connection
 * included). Workers stop starting operations at the end of the window and
 * the call resolves when the last one has finished.
 */
export async function runTimed(operation: Operation, options: TimedOptions): Promise<Measurement> {
  const started = performance.now();
  const windowStart = started + options.warmupMs;
  const windowEnd = windowStart + options.durationMs;
  const latencies: number[] = [];
  let rows = 0;
  let errors = 0;
  let firstError: string | null = null;
  let cpuAtStart: CpuReading | null = null;
  const windowTimer = setTimeout(() => (cpuAtStart = cpuNow(options.serverPid)), options.warmupMs);
  let cpuAtEnd: CpuReading | null = null;
  const endTimer = setTimeout(() => (cpuAtEnd = cpuNow(options.serverPid)), options.warmupMs + options.durationMs);

  const worker = async (index: number) => {
    const random = seededRandom(options.seed + index);
    for (;;) {
      const begun = performance.now();
      if (begun >= windowEnd) return;
      let count = -1;
      let failure: unknown = null;
      try {
        count = await operation(index, random);
      } catch (error) {
        failure = error;
      }
      const ended = performance.now();
      if (ended < windowStart || ended >= windowEnd) continue;
      if (failure !== null || count !== options.expectedRows) {
        errors += 1;
        firstError ??= failure !== null ? String(failure) : `returned ${count} rows, expected ${options.expectedRows}`;
        continue;
      }
      latencies.push(ended - begun);
      rows += count;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => worker(index)));
  clearTimeout(windowTimer);
  clearTimeout(endTimer);
  const before = cpuAtStart ?? cpuNow(options.serverPid);
  const after = cpuAtEnd ?? cpuNow(options.serverPid);
  latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length,
    rows,
    errors,
    seconds: options.durationMs / 1000,
    latenciesMs: latencies,
    cpu: cpuBetween(before, after),
    firstError,
  };
}

// ---------------------------------------------------------------------------

/**
 * One stream of a worker: reads pages until it has read its rows or `signal`
 * aborts (then it ends quietly), calling `page` with each page's row count.
 */
export type StreamOperation = (worker: number, page: (rows: number) => void, signal: AbortSignal) => Promise<void>;

/** What a streaming scenario did in its window: ops are completed streams, latencies are per page. */
export interface StreamMeasurement extends Measurement {
  /** Durations of the streams that completed inside the window, sorted. */
  readonly streamLatenciesMs: readonly number[];
}

export interface StreamOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly serverPid: number | null;
  /** Rows of a complete stream. */
  readonly streamRows: number;
}

/**
 * Runs `stream` in `concurrency` closed loops for `warmupMs` + `durationMs`,
 * then aborts the streams still running. Counts the rows of the pages that
 * arrive inside the window. A page's latency is the time since the previous
 * page of its stream arrived, or since the stream was asked for (queueing
 * for a connection included) for the first page.
 */
export async function runStreams(stream: StreamOperation, options: StreamOptions): Promise<StreamMeasurement> {
  const started = performance.now();
  const windowStart = started + options.warmupMs;
  const windowEnd = windowStart + options.durationMs;
  const pageLatencies: number[] = [];
  const streamLatencies: number[] = [];
  let rows = 0;
  let errors = 0;
  let firstError: string | null = null;
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // every stream in flight listens to it
  let cpuAtStart: CpuReading | null = null;
  const windowTimer = setTimeout(() => (cpuAtStart = cpuNow(options.serverPid)), options.warmupMs);
  let cpuAtEnd: CpuReading | null = null;
  const endTimer = setTimeout(() => {
    cpuAtEnd = cpuNow(options.serverPid);
    stop.abort();
  }, options.warmupMs + options.durationMs);

  const worker = async (index: number) => {
    while (!stop.signal.aborted) {
      const begun = performance.now();
      let last = begun;
      let streamRows = 0;
      const page = (count: number) => {
        const now = performance.now();
        streamRows += count;
        if (now >= windowStart && now < windowEnd) {
          pageLatencies.push(now - last);
          rows += count;
        }
        last = now;
      };
      try {
        await stream(index, page, stop.signal);
        const ended = performance.now();
        if (stop.signal.aborted) break;
        if (streamRows !== options.streamRows) {
          errors += 1;
          firstError ??= `a stream read ${streamRows} rows, expected ${options.streamRows}`;
        } else if (ended >= windowStart && ended < windowEnd) {
          streamLatencies.push(ended - begun);
        }
      } catch (error) {
        if (stop.signal.aborted) break;
        errors += 1;
        firstError ??= String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => worker(index)));
  clearTimeout(windowTimer);
  clearTimeout(endTimer);
  const before = cpuAtStart ?? cpuNow(options.serverPid);
  const after = cpuAtEnd ?? cpuNow(options.serverPid);
  pageLatencies.sort((a, b) => a - b);
  streamLatencies.sort((a, b) => a - b);
  return {
    ops: streamLatencies.length,
    rows,
    errors,
    seconds: options.durationMs / 1000,
    latenciesMs: pageLatencies,
    streamLatenciesMs: streamLatencies,
    cpu: cpuBetween(before, after),
    firstError,
  };
}

// ---------------------------------------------------------------------------

/** VmRSS and VmHWM (the kernel's high-water mark of RSS, the true peak) of a process, in bytes. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kilobytes = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`, "u").exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kilobytes("VmRSS"), peak: kilobytes("VmHWM") };
}

/** Samples a process's RSS every `intervalMs` (synchronously, so a busy event loop only delays samples), keeping the peak per phase. */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  private phase = "start-up";
  readonly peaks = new Map<string, number>();
  samples = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  /** Attributes the samples from now on to `phase`. */
  enter(phase: string): void {
    this.sample();
    this.phase = phase;
    this.sample();
  }

  /** The peak RSS over the process's whole life so far (VmHWM), which no sampling can miss. */
  lifetimePeak(): number {
    return memoryOf(this.pid).peak;
  }

  private sample(): void {
    try {
      const { rss } = memoryOf(this.pid);
      this.samples += 1;
      this.peaks.set(this.phase, Math.max(this.peaks.get(this.phase) ?? 0, rss));
    } catch {
      // The process has exited.
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

// ---------------------------------------------------------------------------

const mergeSorted = (lists: ReadonlyArray<readonly number[]>) => lists.flat().sort((a, b) => a - b);

/** One measurement of several windows of the same side: counts, seconds and CPU added up, latencies pooled. */
export function combineMeasurements(parts: readonly Measurement[]): Measurement {
  const sum = (value: (part: Measurement) => number) => parts.reduce((total, part) => total + value(part), 0);
  return {
    ops: sum((part) => part.ops),
    rows: sum((part) => part.rows),
    errors: sum((part) => part.errors),
    seconds: sum((part) => part.seconds),
    latenciesMs: mergeSorted(parts.map((part) => part.latenciesMs)),
    cpu: {
      server: sum((part) => part.cpu.server),
      bench: sum((part) => part.cpu.bench),
      postgres: sum((part) => part.cpu.postgres),
      machine: sum((part) => part.cpu.machine),
    },
    firstError: parts.find((part) => part.firstError !== null)?.firstError ?? null,
  };
}

/** {@link combineMeasurements} for streams, pooling the completed streams' durations too. */
export function combineStreamMeasurements(parts: readonly StreamMeasurement[]): StreamMeasurement {
  return { ...combineMeasurements(parts), streamLatenciesMs: mergeSorted(parts.map((part) => part.streamLatenciesMs)) };
}

/**
 * Runs each side's window `rounds` times, the sides taking turns (in order on
 * even rounds, in reverse on odd ones), and combines each side's windows. A
 * shared machine speeds up and slows down over minutes; taking turns makes
 * such drifts weigh on every side alike, so the ratios between sides hold
 * even when the absolute figures move.
 */
export async function inRounds<Side extends string, M>(
  rounds: number,
  sides: ReadonlyArray<readonly [Side, (round: number) => Promise<M>]>,
  combine: (parts: readonly M[]) => M,
): Promise<Record<Side, M>> {
  const windows = new Map<Side, M[]>(sides.map(([side]) => [side, []]));
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const [side, run] of order) windows.get(side)!.push(await run(round));
  }
  return Object.fromEntries([...windows].map(([side, parts]) => [side, combine(parts)])) as Record<Side, M>;
}

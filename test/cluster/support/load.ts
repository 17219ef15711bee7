import { Code, ConnectError } from "@connectrpc/connect";
import { collect, userStateClient } from "../../support/clients.js";
import { blockKey, errorInfoOf, unique } from "../../support/fixture.js";

/** The kinds of call the load makes: SetMany, GetMany, and IterAllForCourse read to its end. */
export type CallKind = "write" | "read" | "bulk";

/** One call the load made. */
export interface CallRecord {
  readonly kind: CallKind;
  readonly startedAt: number;
  readonly endedAt: number;
  /** "OK", or the gRPC code's name. */
  readonly code: string;
  /** The ErrorInfo reason of a failed call, when it carries one. */
  readonly reason: string | null;
  /** The error's message, for diagnosis. */
  readonly message: string;
}

/** One SetMany: it set field `field` of `key` for `username`. */
export interface WriteRecord {
  readonly username: string;
  readonly key: string;
  readonly field: string;
  /** Whether the server answered OK. */
  readonly acknowledged: boolean;
}

/** What a load did, once stopped. */
export interface LoadReport {
  readonly calls: CallRecord[];
  readonly writes: WriteRecord[];
  /** The course every write went to (what the bulk readers walk). */
  readonly course: string;
}

/** Options of {@link startLoad}. */
export interface LoadOptions {
  readonly writers: number;
  readonly readers: number;
  readonly bulkReaders: number;
  /** Deadline of each call. */
  readonly timeoutMs: number;
  /** Pause between one worker's calls. */
  readonly pauseMs: number;
  /** The course to write to; unset: a new one. */
  readonly course?: string;
}

/** A steady load running against a server (or a proxy in front of servers). */
export interface Load {
  /** The course every write goes to. */
  readonly course: string;
  /** Calls finished so far. */
  readonly calls: readonly CallRecord[];
  /** Stops every worker after its current call and reports what they did. */
  stop(): Promise<LoadReport>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts workers that call `baseUrl` over gRPC until stopped, each with a
 * client (one HTTP/2 connection) of its own. A writer sets a new field of its
 * own block with every SetMany, so that each acknowledged write can be looked
 * for afterwards; a reader reads that block back; a bulk reader walks the
 * whole course with IterAllForCourse in small messages, so its streams are
 * often in flight.
 */
export function startLoad(baseUrl: string, options: LoadOptions): Load {
  const course = options.course ?? `course-v1:${unique("Org")}+Load+2026`;
  const calls: CallRecord[] = [];
  const writes: WriteRecord[] = [];
  let running = true;

  async function record(kind: CallKind, call: () => Promise<unknown>): Promise<boolean> {
    const startedAt = Date.now();
    try {
      await call();
      calls.push({ kind, startedAt, endedAt: Date.now(), code: "OK", reason: null, message: "" });
      return true;
    } catch (error) {
      const connectError = ConnectError.from(error);
      const reason = connectError.details.length > 0 ? errorInfoOf(connectError).reason : null;
      calls.push({ kind, startedAt, endedAt: Date.now(), code: Code[connectError.code], reason, message: connectError.message });
      return false;
    }
  }

  const writer = async (id: number) => {
    const client = userStateClient(baseUrl);
    const username = unique(`writer${id}`);
    const key = blockKey(course, "problem", `w${id}`);
    for (let sequence = 0; running; sequence += 1) {
      const field = `s${sequence}`;
      const acknowledged = await record("write", () => client.setMany({ username, updates: [{ blockKey: key, fields: { [field]: String(sequence) } }] }, { timeoutMs: options.timeoutMs }));
      writes.push({ username, key, field, acknowledged });
      await sleep(options.pauseMs);
    }
  };
  const reader = async (id: number) => {
    const client = userStateClient(baseUrl);
    const username = unique(`reader${id}`);
    const key = blockKey(course, "problem", `r${id}`);
    await record("write", () => client.setMany({ username, updates: [{ blockKey: key, fields: { n: "1" } }] }, { timeoutMs: options.timeoutMs }));
    while (running) {
      await record("read", () => collect(client.getMany({ username, blockKeys: [key] }, { timeoutMs: options.timeoutMs })));
      await sleep(options.pauseMs);
    }
  };
  const bulkReader = async () => {
    const client = userStateClient(baseUrl);
    while (running) {
      await record("bulk", () => collect(client.iterAllForCourse({ courseKey: course, batchSize: 5 }, { timeoutMs: options.timeoutMs })));
      await sleep(options.pauseMs);
    }
  };
  const workers = [
    ...Array.from({ length: options.writers }, (_, id) => writer(id)),
    ...Array.from({ length: options.readers }, (_, id) => reader(id)),
    ...Array.from({ length: options.bulkReaders }, () => bulkReader()),
  ];
  return {
    course,
    calls,
    async stop() {
      running = false;
      await Promise.all(workers);
      return { calls, writes, course };
    },
  };
}

/** `calls` counted by kind and outcome, for the test's printout: `write OK 1234, read Unavailable/STORE_UNAVAILABLE 3, …`. */
export function tally(calls: readonly CallRecord[]): string {
  const counts = new Map<string, number>();
  for (const call of calls) {
    const label = `${call.kind} ${call.code}${call.reason === null ? "" : `/${call.reason}`}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([label, count]) => `${label} ${count}`).join(", ");
}

import type { AdmissionFigures } from "../store/index.js";
import type { Http2Sessions } from "./http2-sessions.js";

/** Options of {@link startStreamLimit}. */
export interface StreamLimitOptions {
  /** Concurrent calls per connection when the server is not overloaded: HTTP/2's customary 100. */
  readonly normalPerConnection: number;
  /** How often the limit is reconsidered. */
  readonly intervalMs: number;
}

/** The limit at work. */
export interface StreamLimit {
  /** Concurrent calls per connection advertised now. */
  current(): number;
  stop(): void;
}

/**
 * Backpressure for clients that do not back off: while admission is turning
 * calls away, or more pieces of database work wait than can run at once,
 * every connection's concurrent calls (SETTINGS_MAX_CONCURRENT_STREAMS) are
 * halved, down to one; once nothing waits, they grow again by one per
 * interval, back to the normal limit. Clients hold the calls above the
 * limit themselves, where they cost the server nothing: refusing them instead
 * costs the server's one thread more than serving the admitted calls once a
 * crowd resends each refused call at once (docs/benchmarks.md, "Overload").
 */
export function startStreamLimit(sessions: Http2Sessions, admission: () => AdmissionFigures, options: StreamLimitOptions): StreamLimit {
  let perConnection = options.normalPerConnection;
  let refusedBefore = refusedOf(admission());
  sessions.limitStreams(perConnection);
  const timer = setInterval(() => {
    const figures = admission();
    const refused = refusedOf(figures);
    const pressed = refused > refusedBefore || figures.waiting > figures.limit;
    refusedBefore = refused;
    if (pressed) perConnection = Math.max(1, Math.floor(perConnection / 2));
    else if (figures.waiting === 0) perConnection = Math.min(options.normalPerConnection, perConnection + 1);
    sessions.limitStreams(perConnection);
  }, options.intervalMs);
  timer.unref();
  return { current: () => perConnection, stop: () => clearInterval(timer) };
}

function refusedOf(figures: AdmissionFigures): number {
  return figures.refused.would_wait_too_long + figures.refused.waited_too_long;
}

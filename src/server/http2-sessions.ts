import type http2 from "node:http2";

/** Options of {@link trackSessions}. */
export interface SessionOptions {
  /**
   * Connections older than this (±10 % jitter) are drained, so that clients
   * reconnect and spread over the replicas behind a balancer; null: never.
   */
  readonly maxAgeMs: number | null;
  /** How long a connection drained for its age may finish its calls before it is closed; null: as long as they take. */
  readonly maxAgeGraceMs: number | null;
}

/** The server's open HTTP/2 connections. */
export interface Http2Sessions {
  /** Connections open now. */
  count(): number;
  /**
   * Drains every open connection: GOAWAY naming the last stream the server
   * took, whose calls go on; the client opens new streams elsewhere, and the
   * connection closes once its calls have finished.
   */
  drainAll(): void;
  /** Closes every open connection at once, cancelling its calls. */
  destroyAll(): void;
}

const ageJitter = 0.1;

/**
 * Keeps track of the connections of `server` and drains each one when it
 * reaches its maximum age (gRPC's MAX_CONNECTION_AGE and its grace).
 * Nothing is done to connections younger than that.
 */
export function trackSessions(server: http2.Http2Server, options: SessionOptions): Http2Sessions {
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    const timers: NodeJS.Timeout[] = [];
    session.once("close", () => {
      sessions.delete(session);
      timers.forEach(clearTimeout);
    });
    if (options.maxAgeMs === null) return;
    const ageMs = options.maxAgeMs * (1 - ageJitter + 2 * ageJitter * Math.random());
    const aged = setTimeout(() => {
      session.close();
      if (options.maxAgeGraceMs === null) return;
      const cut = setTimeout(() => session.destroy(), options.maxAgeGraceMs);
      cut.unref();
      timers.push(cut);
    }, ageMs);
    aged.unref();
    timers.push(aged);
  });
  return {
    count: () => sessions.size,
    drainAll: () => sessions.forEach((session) => session.close()),
    destroyAll: () => sessions.forEach((session) => session.destroy()),
  };
}

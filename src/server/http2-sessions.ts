import http2 from "node:http2";

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
  /** Drains every open connection (see drainSession): their calls go on, new ones go elsewhere. */
  drainAll(): void;
  /** Closes every open connection at once, cancelling its calls. */
  destroyAll(): void;
}

// The largest stream id a client can open: a GOAWAY naming it refuses nothing.
const maxStreamId = 2 ** 31 - 1;
// Longest wait for the PING that follows the first GOAWAY: a client that
// does not answer it gets the final GOAWAY anyway.
const pingWaitMs = 1000;
const ageJitter = 0.1;

/**
 * Drains one connection as gRPC servers do: a first GOAWAY that refuses no
 * stream tells the client to open no more; one PING round trip later, a
 * second GOAWAY names the last stream the server took, and the connection
 * closes once those calls have finished. A stream the client sent before it
 * saw the first GOAWAY is therefore served, never refused.
 */
function drainSession(session: http2.ServerHttp2Session): void {
  if (session.closed || session.destroyed) return;
  session.goaway(http2.constants.NGHTTP2_NO_ERROR, maxStreamId);
  let done = false;
  const close = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (!session.closed && !session.destroyed) session.close();
  };
  const timer = setTimeout(close, pingWaitMs);
  timer.unref();
  if (!session.ping(close)) close();
}

/**
 * Keeps track of the connections of `server` and drains each one when it
 * reaches its maximum age. Nothing is done to connections younger than that.
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
      drainSession(session);
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
    drainAll: () => sessions.forEach(drainSession),
    destroyAll() {
      for (const session of sessions) session.destroy();
    },
  };
}

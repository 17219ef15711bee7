import type http2 from "node:http2";
import type { Socket } from "node:net";

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
  /** Closes every open connection (and its socket) at once, cancelling its calls. */
  destroyAll(): void;
  /**
   * Advertises `perConnection` as every connection's (and every new one's)
   * SETTINGS_MAX_CONCURRENT_STREAMS: clients then hold further calls until
   * one of theirs ends. Calls already open go on.
   */
  limitStreams(perConnection: number): void;
}

const ageJitter = 0.1;

/**
 * Keeps track of the connections of `server` and drains each one when it
 * reaches its maximum age (gRPC's MAX_CONNECTION_AGE and its grace).
 * Nothing is done to connections younger than that.
 */
export function trackSessions(server: http2.Http2Server, options: SessionOptions): Http2Sessions {
  const sessions = new Set<http2.ServerHttp2Session>();
  let streamLimit: number | null = null;
  const advertise = (session: http2.ServerHttp2Session) => {
    if (streamLimit === null || session.closed || session.destroyed || session.localSettings.maxConcurrentStreams === streamLimit) return;
    session.settings({ maxConcurrentStreams: streamLimit });
  };
  // Sockets too: a session destroyed on a connection the client keeps half
  // open (seen after a flood of refused streams) would hold server.close()
  // waiting for it.
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("session", (session) => {
    sessions.add(session);
    advertise(session);
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
    destroyAll() {
      sessions.forEach((session) => session.destroy());
      sockets.forEach((socket) => socket.destroy());
    },
    limitStreams(perConnection) {
      if (perConnection === streamLimit) return;
      streamLimit = perConnection;
      sessions.forEach(advertise);
    },
  };
}

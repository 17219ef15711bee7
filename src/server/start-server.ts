import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { KeyService } from "../../gen/learnerstate/v1/key_service_pb.js";
import { UserStateService } from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { createUserStateOperations } from "../domain/state/index.js";
import { createKeyService, createResumeTokenCodec, createUserStateService, installExactTextEncoding } from "../rpc/index.js";
import { openStore } from "../store/index.js";
import type { ServerConfig } from "./config.js";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "./embedded-database.js";
import { errorInterceptor } from "./error-interceptor.js";
import { createLogInterceptor } from "./log-interceptor.js";

/** A started server. */
export interface RunningServer {
  /** The port it listens on (useful when PORT was 0). */
  readonly port: number;
  /** Stops accepting, ends open HTTP/2 sessions, closes the pool and the embedded database. */
  close(): Promise<void>;
}

/** Largest request or response message, in bytes. */
const maxMessageBytes = 16 * 1024 * 1024;

/**
 * Starts the service: connects to DATABASE_URL or starts the embedded
 * database, applies migrations, and serves gRPC, gRPC-Web and Connect on one
 * h2c port.
 */
export async function startServer(config: ServerConfig, logger: Logger): Promise<RunningServer> {
  installExactTextEncoding();
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl === null) {
    embedded = await startEmbeddedDatabase(config.dataDir);
    databaseUrl = embedded.url;
    logger.info({ dataDir: config.dataDir }, `DATABASE_URL is not set: using the embedded PostgreSQL (PGlite) with data in ${config.dataDir}`);
  }
  // PGlite runs one transaction at a time, whatever the number of connections.
  const store = await openStore({ databaseUrl, poolSize: embedded === null ? config.poolSize : 1 });
  const applied = await store.migrate();
  if (applied.length > 0) logger.info({ migrations: applied }, "applied migrations");

  const operations = createUserStateOperations(store.stateStore);
  const userStateService = createUserStateService(operations, createResumeTokenCodec(config.resumeTokenSecret));
  const handler = connectNodeAdapter({
    routes: (router) => router.service(UserStateService, userStateService).service(KeyService, createKeyService()),
    // Outermost first: log what the client finally sees.
    interceptors: [createLogInterceptor(logger), errorInterceptor],
    readMaxBytes: maxMessageBytes,
    writeMaxBytes: maxMessageBytes,
  });

  const server = http2.createServer(handler);
  // http2's close() waits for every open session; keep them to end them on close.
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.close();
      await closed;
      await store.close();
      await embedded?.stop();
    },
  };
}

import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { BlockStructureService } from "../../gen/learnerstate/v1/block_structure_service_pb.js";
import { CatalogService } from "../../gen/learnerstate/v1/catalog_service_pb.js";
import { KeyService } from "../../gen/learnerstate/v1/key_service_pb.js";
import { UserStateService } from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { createTokenVerifier } from "../auth/index.js";
import { createBlockStructureOperations, createDefaultTransformerRegistry } from "../domain/block-structure/index.js";
import { createCatalogOperations } from "../domain/catalog/index.js";
import { createChangeFeed } from "../domain/changes/index.js";
import { startChangeFeedRetentionJob } from "./change-feed-retention-job.js";
import { createHistoryRetention, createUserStateOperations, purgesHistory } from "../domain/state/index.js";
import {
  createBlockStructureService,
  createCatalogService,
  createHealthService,
  createKeyService,
  createReflectionService,
  createResumeTokenCodec,
  createUserStateService,
  installExactTextEncoding,
} from "../rpc/index.js";
import { openStore, type Store } from "../store/index.js";
import type { ServerConfig } from "./config.js";
import type { EmbeddedDatabase } from "./embedded-database.js";
import { bringUpDatabase } from "./bring-up-database.js";
import { createCallHooks, requestIdKey } from "./call-hooks.js";
import { createGrpcPath, grpcRoutes, type ServiceRoute } from "./grpc/index.js";
import { startHistoryRetentionJob } from "./history-retention-job.js";
import { createHooksInterceptor } from "./hooks-interceptor.js";
import { createMetrics } from "./metrics.js";
import { startMetricsEndpoint } from "./metrics-endpoint.js";
import { trackSessions } from "./http2-sessions.js";
import { startStreamLimit, type StreamLimit } from "./stream-limit.js";
import { readTlsFiles, watchTlsFiles, type TlsFiles } from "./tls-files.js";

/** A started server. */
export interface RunningServer {
  /** The port it listens on (useful when PORT was 0). */
  readonly port: number;
  /** The port of the HTTP /metrics endpoint. */
  readonly metricsPort: number;
  /**
   * Shuts down gracefully: reports NOT_SERVING (and keeps serving for the
   * configured delay), stops accepting connections and new calls, lets
   * in-flight calls finish for up to the configured grace period, then
   * cancels what is left and closes the pool and the embedded database.
   */
  close(): Promise<void>;
}

async function connectDatabase(config: ServerConfig, logger: Logger): Promise<{ store: Store; embedded: EmbeddedDatabase | null }> {
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl === null) {
    embedded = await (await import("./embedded-database.js")).startEmbeddedDatabase(config.dataDir);
    databaseUrl = embedded.url;
    logger.info({ dataDir: config.dataDir }, `DATABASE_URL is not set: using the embedded PostgreSQL (PGlite) with data in ${config.dataDir}`);
  }
  const store = await openStore({
    databaseUrl,
    // PGlite runs one transaction at a time, whatever the number of connections.
    poolSize: embedded === null ? config.poolSize : 1,
    admissionMaxWaitMs: config.admissionMaxWaitMs,
    changeDetectMs: config.changeFeed.detectMs,
    connectTimeoutMs: config.connectTimeoutMs,
    statementTimeoutMs: config.statementTimeoutMs,
    failureThreshold: config.breakerFailureThreshold,
    halfOpenAfterMs: config.breakerHalfOpenAfterMs,
    standbys: { urls: config.databaseReplicaUrls, maxLagMs: config.replicaMaxLagMs },
    blockStructureCacheBlocks: config.blockStructureCacheBlocks,
  });
  store.onBreakerStateChange((state) => logger.warn({ breaker: state }, `database circuit breaker is ${state}`));
  store.onConditionChange((condition) => logger.warn({ database: condition }, `heartbeat: the database is ${condition}`));
  store.onHostChosen((host) => logger.info({ databaseHost: host }, `database: using ${host}`));
  store.onStandbyChange(({ name, usable, lagMs }) =>
    logger[usable ? "info" : "warn"]({ standby: name, usable, lagMs }, usable ? `standby ${name} serves bulk reads` : `standby ${name} is skipped (down, or lagging beyond REPLICA_MAX_LAG_MS)`),
  );
  return { store, embedded };
}

/**
 * The service port over TLS (h2 by ALPN, no HTTP/1.1), asking for client
 * certificates when `files` names a client CA, and taking new certificates
 * from disk without a restart.
 */
function createTlsServer(options: http2.ServerOptions, files: TlsFiles, logger: Logger): http2.Http2SecureServer {
  const mutual = files.clientCaFile !== null;
  const server = http2.createSecureServer({ ...options, ...readTlsFiles(files), allowHTTP1: false, requestCert: mutual, rejectUnauthorized: mutual });
  const stopWatching = watchTlsFiles(
    files,
    1000,
    (contents) => {
      server.setSecureContext(contents);
      logger.info({ certFile: files.certFile }, "TLS: certificate files changed; new connections get them");
    },
    (error) => logger.warn({ err: error, certFile: files.certFile }, "TLS: certificate files changed but cannot be used yet; keeping the previous ones"),
  );
  server.once("close", stopWatching);
  return server;
}

const loopbackHosts = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * Starts the service: serves gRPC, gRPC-Web and Connect on one h2c port,
 * with grpc.health.v1.Health and grpc.reflection.v1 beside the learnerstate
 * services, at once, and meanwhile connects to DATABASE_URL (or starts the
 * embedded database) and applies migrations, trying again until the database
 * is there. Until then health says NOT_SERVING and state calls UNAVAILABLE;
 * KeyService needs no database and serves from the start.
 */
export async function startServer(config: ServerConfig, logger: Logger): Promise<RunningServer> {
  installExactTextEncoding();
  if (config.auth === null) {
    if (!loopbackHosts.has(config.host) && !config.allowUnauthenticatedNetwork) {
      throw new Error(
        `no authentication is configured (JWT_SECRET, JWT_JWKS_FILE or JWT_JWKS_URL), so the server will not listen on ${config.host}; ` +
          "configure tokens, listen on 127.0.0.1, or set ALLOW_UNAUTHENTICATED_NETWORK=true",
      );
    }
    logger.warn("no authentication configured: development mode, every caller is trusted with every learner's state");
  }
  const verifier = config.auth === null ? null : await createTokenVerifier(config.auth);
  const { store, embedded } = await connectDatabase(config, logger);

  let shuttingDown = false;
  const shutdown = new AbortController();
  const healthListeners = new Set<() => void>();
  const healthChanged = () => healthListeners.forEach((listener) => listener());
  store.onBreakerStateChange(healthChanged);
  store.onConditionChange(healthChanged);
  const operations = createUserStateOperations(store.stateStore, config.limits);
  const blockStructures = createBlockStructureOperations(store.blockStructureStore, createDefaultTransformerRegistry(), {
    ...config.limits,
    maxStructureBlocks: config.maxStructureBlocks,
  });
  // HTTP/2's customary 100 concurrent calls per connection, lowered under overload (stream-limit.ts).
  const streamsPerConnection = 100;
  let streamLimit: StreamLimit | null = null;
  const metrics = createMetrics({
    breakerState: () => store.breakerState(),
    poolUsage: () => store.poolUsage(),
    standbys: () => store.standbys(),
    admission: () => store.admission(),
    streamsPerConnection: () => streamLimit?.current() ?? streamsPerConnection,
    changeFeed: () => feed.figures(),
  });
  const feed = createChangeFeed(store.changeFeedStore, {
    pageChanges: 500,
    keptChanges: 20_000,
    keptPages: 2_000,
    pollIntervalMs: 5_000,
    minPollGapMs: 10,
    heartbeatMs: 10_000,
    idleHubMs: 30_000,
    // As the other streams: within what gRPC clients take by default, and the server's own limit.
    maxBatchBytes: Math.min(4_000_000, config.maxMessageBytes - 1024),
    onRead: (reader) => metrics.changeFeedReads.inc({ reader }),
  });
  const feedRetentionJob = startChangeFeedRetentionJob({
    store: store.changeFeedStore,
    keepSeconds: config.changeFeed.retentionSeconds,
    intervalMs: config.changeFeed.retentionIntervalMs,
    batchRows: 10_000,
    logger,
    databaseReady: () => store.ready(),
    onRemoved: (count) => metrics.changeFeedRemoved.inc(count),
  });
  store.onAdmitted((waitedMs) => metrics.admissionWait.observe(waitedMs / 1000));
  // One answer for gRPC health and the HTTP probes alike.
  const serving = (service: string) => {
    if (shuttingDown) return false;
    if (service === KeyService.typeName) return true; // needs no database
    const condition = store.condition();
    return store.ready() && condition !== "silent" && condition !== "down" && store.breakerState() !== "open";
  };
  const metricsEndpoint = await startMetricsEndpoint(metrics.registry, config.host, config.metricsPort, { ready: () => serving("") });
  const { policy, intervalMs, batchRows } = config.historyRetention;
  const retention = purgesHistory(policy) ? createHistoryRetention(store.historyRetentionStore, policy, batchRows) : null;
  const retentionJob = retention === null ? null : startHistoryRetentionJob({ retention, policy, intervalMs, metrics, logger, databaseReady: () => store.ready() });
  // Loaded only when configured: the OpenTelemetry SDK adds about 20 MB to the process.
  const tracing = config.otlpEndpoint === null ? null : (await import("./tracing.js")).startTracing(config.otlpEndpoint);
  const health = createHealthService({
    services: ["", UserStateService.typeName, KeyService.typeName, CatalogService.typeName, BlockStructureService.typeName],
    serving,
    onChange(listener) {
      healthListeners.add(listener);
      return () => healthListeners.delete(listener);
    },
  });
  const catalog = createCatalogService(
    createCatalogOperations(store.catalogStore, { autoCreateOrganizations: config.catalogAutoCreateOrgs }),
    createResumeTokenCodec(config.resumeTokenSecret),
    (context, fields, message) => logger.warn({ requestId: context.values.get(requestIdKey), ...fields }, message),
  );
  const services: ServiceRoute[] = [
    { service: UserStateService, implementation: createUserStateService(operations, feed, createResumeTokenCodec(config.resumeTokenSecret), config.maxMessageBytes) },
    { service: KeyService, implementation: createKeyService() },
    { service: CatalogService, implementation: catalog },
    { service: BlockStructureService, implementation: createBlockStructureService(blockStructures) },
    { service: Health, implementation: health },
    { service: ServerReflection, implementation: createReflectionService([UserStateService, KeyService, CatalogService, BlockStructureService, Health, ServerReflection]) },
  ];
  const hooks = createCallHooks({ logger, audit: logger.child({ channel: "audit" }), metrics, verifier, spans: tracing?.spans ?? null, turnAway: () => store.turnAway() });
  const handler = connectNodeAdapter({
    routes: (router) => {
      for (const { service, implementation } of services) router.service(service, implementation as never);
    },
    interceptors: [createHooksInterceptor(hooks)],
    // Compressing costs the server's one thread more than it saves on the
    // networks this service runs on (loopback, a data centre), so it is off
    // unless configured; compressed requests are accepted either way.
    compressMinBytes: config.compressMinBytes ?? Number.POSITIVE_INFINITY,
    readMaxBytes: config.maxMessageBytes,
    writeMaxBytes: config.maxMessageBytes,
    shutdownSignal: shutdown.signal,
  });
  // gRPC with binary messages, the main traffic, skips Connect's adapter (see grpc/grpc-path.ts).
  const grpc =
    config.grpcPath === "direct"
      ? createGrpcPath({ routes: grpcRoutes(services), hooks, readMaxBytes: config.maxMessageBytes, writeMaxBytes: config.maxMessageBytes, compressMinBytes: config.compressMinBytes })
      : null;
  shutdown.signal.addEventListener("abort", () => grpc?.cancelAll());

  // Node's HTTP/2 session memory cap (10 MB by default) must hold a whole
  // message plus what is in flight, or an oversized message resets the stream
  // before the server can answer RESOURCE_EXHAUSTED.
  const maxSessionMemory = Math.max(10, Math.ceil((3 * config.maxMessageBytes) / (1024 * 1024)));
  const serverOptions = { maxSessionMemory, settings: { maxConcurrentStreams: streamsPerConnection } };
  const server = config.tls === null ? http2.createServer(serverOptions) : createTlsServer(serverOptions, config.tls, logger);
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    if (grpc?.serve(stream, headers)) return;
    // Everything else goes to Connect's adapter through Node's compatibility
    // API, as http2.createServer's request listener would get it.
    const request = new http2.Http2ServerRequest(stream, headers, {}, rawHeaders);
    const response = new http2.Http2ServerResponse(stream);
    // A call answered before its request was fully read (an oversized message,
    // say) ends with RST_STREAM(NO_ERROR), which tells the client to stop
    // sending: otherwise a client blocked by flow control waits forever.
    response.once("finish", () => {
      if (!request.readableEnded && !request.stream.destroyed) request.stream.close(http2.constants.NGHTTP2_NO_ERROR);
    });
    handler(request, response);
  });
  // http2's close() waits for every open session; keep them to end them on shutdown.
  const sessions = trackSessions(server, { maxAgeMs: config.maxConnectionAgeMs, maxAgeGraceMs: config.maxConnectionAgeGraceMs });
  streamLimit = startStreamLimit(sessions, () => store.admission(), { normalPerConnection: streamsPerConnection, intervalMs: 100 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const stopBringingUp = new AbortController();
  const bringingUp = bringUpDatabase(
    store,
    {
      retryMaxMs: config.startupRetryMaxMs,
      migrationLockWaitMs: config.migrationLockWaitMs,
      // The embedded database lives in this process: nothing to watch, and its
      // one-transaction-at-a-time queue would make a busy moment look silent.
      heartbeat: embedded === null ? { intervalMs: config.heartbeatIntervalMs, timeoutMs: config.heartbeatTimeoutMs } : null,
    },
    logger,
    stopBringingUp.signal,
  ).then(healthChanged);

  return {
    port,
    metricsPort: metricsEndpoint.port,
    async close() {
      shuttingDown = true;
      streamLimit?.stop();
      const retentionStopped = Promise.all([retentionJob?.stop(), feedRetentionJob.stop()]);
      stopBringingUp.abort(); // a database that never came is no longer waited for
      healthChanged();
      // Still serving while health says NOT_SERVING, so that balancers stop
      // sending calls here before the connections go: a call sent to a
      // connection just as it goes away would be refused.
      // With nobody connected there is no balancer to wait for.
      if (sessions.count() > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Watch streams never end by themselves: they end now (UNAVAILABLE), and their clients resume on another server.
      feed.close();
      // GOAWAY: calls in flight on each connection go on, new ones are refused.
      sessions.drainAll();
      const grace = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), config.shutdownGraceMs).unref());
      if ((await Promise.race([stopped, grace])) === "timeout") {
        logger.warn({ openConnections: sessions.count() }, "grace period over: cancelling the calls still running");
        shutdown.abort();
        sessions.destroyAll();
        await stopped;
      }
      await bringingUp;
      await metricsEndpoint.close();
      await tracing?.shutdown();
      await retentionStopped;
      await store.close();
      await embedded?.stop();
    },
  };
}

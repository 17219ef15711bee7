// `npm start`: reads the environment, starts the server, stops it on SIGTERM or SIGINT.
import { pino } from "pino";
import { readConfig } from "./config.js";
import { startServer } from "./start-server.js";

const config = readConfig();
const logger = pino({ level: config.logLevel });

try {
  const server = await startServer(config, logger);
  logger.info(
    { host: config.host, port: server.port, metricsPort: server.metricsPort, tls: config.tls !== null },
    `listening on ${config.host}:${server.port} (gRPC, gRPC-Web and Connect over ${config.tls === null ? "h2c" : config.tls.clientCaFile === null ? "TLS" : "TLS with client certificates"}); ` +
      `metrics on http://${config.host}:${server.metricsPort}/metrics`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, "shutting down");
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
} catch (error) {
  logger.fatal({ err: error }, "could not start");
  process.exit(1);
}

import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** The HTTP/1.1 server of GET /metrics, /readyz and /livez (Prometheus and most balancers do not speak h2c). */
export interface MetricsEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/** What the probe paths answer from. */
export interface Probes {
  /** Whether the server takes calls now: the same answer as grpc.health.v1 gives for the server as a whole. */
  ready(): boolean;
}

/**
 * Serves `registry` in Prometheus text format at `http://host:port/metrics`,
 * and probes for balancers and orchestrators that cannot ask gRPC health:
 * `/readyz` answers 200 while `probes.ready()` holds and 503 otherwise (not
 * migrated yet, database down or silent, breaker open, draining); `/livez`
 * answers 200 while the process's event loop runs. GET and HEAD only;
 * everything else is 404.
 */
export async function startMetricsEndpoint(registry: Registry, host: string, port: number, probes: Probes): Promise<MetricsEndpoint> {
  const server = http.createServer((request, response) => {
    const path = request.url?.split("?")[0];
    const method = request.method ?? "";
    if (path === "/livez" && (method === "GET" || method === "HEAD")) {
      response.writeHead(200, { "content-type": "text/plain" }).end("live\n");
      return;
    }
    if (path === "/readyz" && (method === "GET" || method === "HEAD")) {
      const ready = probes.ready();
      response.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ready\n" : "not ready\n");
      return;
    }
    if (method !== "GET" || path !== "/metrics") {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

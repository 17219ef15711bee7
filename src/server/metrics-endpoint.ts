import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** The HTTP/1.1 server of GET /metrics (Prometheus does not speak h2c). */
export interface MetricsEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `registry` in Prometheus text format at `http://host:port/metrics`; everything else is 404. */
export async function startMetricsEndpoint(registry: Registry, host: string, port: number): Promise<MetricsEndpoint> {
  const server = http.createServer((request, response) => {
    if (request.method !== "GET" || request.url?.split("?")[0] !== "/metrics") {
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

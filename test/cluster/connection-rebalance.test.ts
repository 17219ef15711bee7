import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterEach, describe, expect, inject, it } from "vitest";
import { freeLoopbackPort } from "../../src/server/free-loopback-port.js";
import { blockKey, unique } from "../support/fixture.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";
import { startHaProxy, type Backend, type HaProxy } from "./support/haproxy.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let running: { proxy: HaProxy; servers: ServerProcess[] } | null = null;
afterEach(async () => {
  await running?.proxy.stop();
  for (const server of running?.servers ?? []) expect(await server.stop()).toBe(0);
  running = null;
});

/** Calls a server has received so far, from its /metrics. */
async function callsServed(server: ServerProcess): Promise<number> {
  const text = await (await fetch(server.metricsUrl)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("learnerstate_rpc_requests_total{"))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

interface SetManyStub extends grpc.Client {
  setMany(request: unknown, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null) => void): void;
}

/** A @grpc/grpc-js client of `address` (one channel: one HTTP/2 connection at a time), built from the .proto files. */
function grpcClient(address: string): SetManyStub {
  const definition = protoLoader.loadSync("learnerstate/v1/user_state_service.proto", {
    includeDirs: [fileURLToPath(new URL("../../proto", import.meta.url))],
    longs: String,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    learnerstate: { v1: { UserStateService: new (address: string, credentials: grpc.ChannelCredentials) => SetManyStub } };
  };
  return new loaded.learnerstate.v1.UserStateService(address, grpc.credentials.createInsecure());
}

/**
 * Two replicas behind HAProxy in TCP mode (as an L4 balancer or a Kubernetes
 * Service balances: per connection, never per call), and one gRPC client
 * (grpc-js, which retries a stream the server refused, as gRPC clients do)
 * making SetMany calls one after the other for `ms` over its one channel.
 */
async function oneClientFor(ms: number, env: Record<string, string>) {
  const backends: Backend[] = [];
  for (const name of ["a", "b"]) backends.push({ name, port: await freeLoopbackPort(), metricsPort: await freeLoopbackPort() });
  const servers: ServerProcess[] = [];
  for (const backend of backends) {
    servers.push(await startServerProcess({ DATABASE_URL: inject("databaseUrl"), PORT: String(backend.port), METRICS_PORT: String(backend.metricsPort), ...env }));
  }
  const proxy = await startHaProxy(backends, { mode: "tcp" });
  running = { proxy, servers };
  await proxy.waitFor(["a", "b"], "UP");
  const client = grpcClient(proxy.baseUrl.replace("http://", ""));
  const username = unique("learner");
  const key = blockKey(`course-v1:${unique("Org")}+Age+2026`, "problem", "p");
  const failures: string[] = [];
  let calls = 0;
  for (const started = Date.now(); Date.now() - started < ms; calls += 1) {
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.setMany({ username, updates: [{ blockKey: key, fields: { n: String(calls) } }] }, { deadline: Date.now() + 5000 }, resolve),
    );
    if (error !== null) failures.push(`${grpc.status[error.code]}: ${error.details}`);
    await sleep(10);
  }
  client.close();
  const served = await Promise.all(servers.map(callsServed));
  const connections = (await proxy.stats()).map((server) => server.sessions);
  return { calls, failures, served, connections };
}

describe("one long-lived gRPC client behind an L4 balancer", () => {
  it("stays on one replica without a maximum connection age", async () => {
    const { calls, failures, served, connections } = await oneClientFor(4000, {});
    console.log(`no maximum age: ${calls} calls, ${failures.length} failed; calls per replica ${served.join(" / ")}, connections per replica ${connections.join(" / ")}`);
    expect(failures).toEqual([]);
    expect(Math.min(...served)).toBe(0);
  });

  it("spreads over both replicas with MAX_CONNECTION_AGE_MS=1000: each GOAWAY sends it to the next one", async () => {
    const { calls, failures, served, connections } = await oneClientFor(8000, { MAX_CONNECTION_AGE_MS: "1000" });
    console.log(`MAX_CONNECTION_AGE_MS=1000: ${calls} calls, ${failures.length} failed; calls per replica ${served.join(" / ")}, connections per replica ${connections.join(" / ")}`);
    expect(failures).toEqual([]);
    expect(Math.min(...connections)).toBeGreaterThanOrEqual(2);
    for (const count of served) expect(count).toBeGreaterThan(calls / 5);
  });
});

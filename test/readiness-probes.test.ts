import { describe, expect, inject, it } from "vitest";
import { userStateClient } from "./support/clients.js";
import { blockKey, unique, useProxiedServer } from "./support/fixture.js";
import { healthOf } from "./support/health.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The HTTP status of GET `path` on the server's metrics port. */
async function probe(server: ServerProcess, path: "/readyz" | "/livez"): Promise<number> {
  const response = await fetch(server.metricsUrl.replace(/\/metrics$/u, path), { signal: AbortSignal.timeout(2000) });
  await response.text();
  return response.status;
}

/** Polls until `condition` holds, for at most `timeoutMs`; returns whether it did. */
async function eventually(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < timeoutMs; await sleep(50)) if (await condition()) return true;
  return false;
}

describe("/readyz and /livez on the metrics port", () => {
  const fixture = useProxiedServer();

  it("/readyz answers what gRPC health answers, as the database comes and goes; /livez answers 200 throughout", async () => {
    const server = fixture.server;
    expect(await healthOf(server.baseUrl)).toBe("SERVING");
    expect(await probe(server, "/readyz")).toBe(200);
    expect(await probe(server, "/livez")).toBe(200);

    fixture.proxy.cut();
    expect(await eventually(async () => (await healthOf(server.baseUrl)) === "NOT_SERVING")).toBe(true);
    expect(await probe(server, "/readyz")).toBe(503);
    expect(await probe(server, "/livez")).toBe(200);

    fixture.proxy.restore();
    expect(await eventually(async () => (await healthOf(server.baseUrl)) === "SERVING")).toBe(true);
    expect(await probe(server, "/readyz")).toBe(200);
    const head = await fetch(server.metricsUrl.replace(/\/metrics$/u, "/readyz"), { method: "HEAD" });
    expect(head.status).toBe(200);
    const post = await fetch(server.metricsUrl.replace(/\/metrics$/u, "/readyz"), { method: "POST" });
    expect(post.status).toBe(404);
  });
});

describe("SIGTERM with the default SHUTDOWN_DELAY_MS", () => {
  it("turns /readyz and health to NOT_SERVING at once, keeps answering calls for 2 s while clients are connected, then drains and exits 0", async () => {
    const server = await startServerProcess({ DATABASE_URL: inject("databaseUrl"), SHUTDOWN_DELAY_MS: undefined });
    const client = userStateClient(server.baseUrl);
    const username = unique("learner");
    const key = blockKey(`course-v1:${unique("Org")}+Delay+2026`, "problem", "p");
    await client.setMany({ username, updates: [{ blockKey: key, fields: { n: "0" } }] });
    const signalledAt = Date.now();
    server.kill("SIGTERM");
    expect(await eventually(async () => (await probe(server, "/readyz")) === 503, 1000)).toBe(true);
    expect(await healthOf(server.baseUrl)).toBe("NOT_SERVING");
    expect(await probe(server, "/livez")).toBe(200);
    // Lame duck: still serving, on the connection it had and on new ones.
    await client.setMany({ username, updates: [{ blockKey: key, fields: { n: "1" } }] });
    await userStateClient(server.baseUrl).setMany({ username, updates: [{ blockKey: key, fields: { n: "2" } }] });
    const servedUntil = Date.now() - signalledAt;
    expect(servedUntil).toBeLessThan(2000);
    expect(await server.exited).toBe(0);
    const exitedAfter = Date.now() - signalledAt;
    console.log(`default SHUTDOWN_DELAY_MS: /readyz 503 at once, calls served ${servedUntil} ms after SIGTERM, exited after ${exitedAfter} ms`);
    expect(exitedAfter).toBeGreaterThanOrEqual(2000);
  });

  it("stops at once when no client is connected", async () => {
    const server = await startServerProcess({ DATABASE_URL: inject("databaseUrl"), SHUTDOWN_DELAY_MS: undefined });
    const signalledAt = Date.now();
    expect(await server.stop()).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(1500);
  });
});

import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { userStateClient } from "./support/clients.js";
import { blockKey, unique } from "./support/fixture.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";

/** An OTLP/HTTP collector on loopback that keeps every JSON body posted to /v1/traces. */
let collector: http.Server;
const exports: string[] = [];
let server: ServerProcess;

beforeAll(async () => {
  collector = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.url === "/v1/traces") exports.push(Buffer.concat(chunks).toString("utf8"));
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  collector.listen(0, "127.0.0.1");
  await once(collector, "listening");
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  server = await startServerProcess({ DATABASE_URL: inject("databaseUrl"), OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
  collector.close();
});

describe("tracing, when an OTLP endpoint is configured", () => {
  it("exports one server span per call, in the caller's trace", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    await userStateClient(server.baseUrl).setMany(
      { username: unique("learner"), updates: [{ blockKey: blockKey("course-v1:Trace+T1+2026", "problem", "p"), fields: { a: "1" } }] },
      { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } },
    );
    let exported = "";
    for (let waited = 0; !exported.includes("UserStateService/SetMany") && waited < 10_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      exported = exports.join("\n");
    }
    expect(exported).toContain("learnerstate.v1.UserStateService/SetMany");
    const body = JSON.parse(exports.find((text) => text.includes("SetMany"))!) as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string; traceId: string; parentSpanId: string }> }> }>;
    };
    const span = body.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)).find((candidate) => candidate.name.endsWith("/SetMany"))!;
    expect(span.traceId).toBe(traceId);
    expect(span.parentSpanId).toBe("00f067aa0ba902b7");
  });
});

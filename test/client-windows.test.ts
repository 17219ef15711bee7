// The TypeScript client's HTTP/2 connections to a real server: receive
// windows wide enough for several bulk-read messages, per stream and per
// connection (HTTP/2's own 64 KiB held a tenth of one).
import { once } from "node:events";
import type http2 from "node:http2";
import { describe, expect, it } from "vitest";
import { receiveWindows, WideWindowSessions } from "../src/client/wide-window-sessions.js";
import { useServer } from "./support/fixture.js";

const fixture = useServer();

/**
 * Opens a gRPC health check through `sessions` and returns its stream once
 * the server answered (by then it has acknowledged the client's settings).
 */
async function healthCheck(sessions: WideWindowSessions): Promise<http2.ClientHttp2Stream> {
  const stream = await sessions.request("POST", "/grpc.health.v1.Health/Check", { "content-type": "application/grpc", te: "trailers" }, {});
  stream.end(Buffer.from([0, 0, 0, 0, 0]));
  await once(stream, "response");
  return stream;
}

describe("the client's HTTP/2 sessions", () => {
  it("announce the stream window and widen the connection's, for every stream of the connection", async () => {
    const sessions = new WideWindowSessions(fixture.server.baseUrl, {});
    const first = await healthCheck(sessions);
    const session = first.session as http2.ClientHttp2Session;
    expect(session.localSettings.initialWindowSize).toBe(receiveWindows.streamBytes);
    // Less what the health answers took and the client has not yet acknowledged.
    expect(session.state.localWindowSize).toBeGreaterThan(receiveWindows.connectionBytes - 1024);
    const second = await healthCheck(sessions);
    expect(second.session).toBe(session);
    expect(session.state.localWindowSize).toBeGreaterThan(receiveWindows.connectionBytes - 1024);
    for (const stream of [first, second]) stream.close();
    session.close();
  });
});

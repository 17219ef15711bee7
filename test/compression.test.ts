import { createClient } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { compressionGzip, createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { UserStateService } from "../gen/learnerstate/v1/user_state_service_pb.js";
import { collect } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";

const byDefault = useServer();
const compressing = useServer({ env: { COMPRESS_MIN_BYTES: "2048" } });

/**
 * Writes one block whose state takes about `bytes` and reads it back, with a
 * gRPC client that sends its requests gzipped (which every server must
 * accept) and accepts gzip responses, as connect-node clients do by default.
 * Returns how many response messages came compressed, and whether the value
 * read back is the one written.
 */
async function roundTrip(baseUrl: string, bytes: number): Promise<{ compressedMessages: number; value: string }> {
  let compressedMessages = 0;
  const countingGzip: Compression = {
    name: compressionGzip.name,
    compress: (data) => compressionGzip.compress(data),
    decompress: (data, readMaxBytes) => {
      compressedMessages += 1;
      return compressionGzip.decompress(data, readMaxBytes);
    },
  };
  const transport = createGrpcTransport({ baseUrl, acceptCompression: [countingGzip], sendCompression: countingGzip, compressMinBytes: 0 });
  const client = createClient(UserStateService, transport);
  const username = unique("learner");
  const key = blockKey(`course-v1:${unique("Org")}+Gzip+2026`, "problem", "p1");
  const text = JSON.stringify("answer ".repeat(bytes / 7));
  await client.setMany({ username, updates: [{ blockKey: key, fields: { text } }] });
  compressedMessages = 0;
  const messages = await collect(client.getMany({ username, blockKeys: [key] }));
  return { compressedMessages, value: messages[0]?.blockStates[0]?.fields["text"] === text ? "same" : "different" };
}

describe("response compression", () => {
  it("is off by default, even for clients that accept gzip, which may still send gzip", async () => {
    expect(await roundTrip(byDefault.server.baseUrl, 50_000)).toEqual({ compressedMessages: 0, value: "same" });
  });

  it("compresses responses of at least COMPRESS_MIN_BYTES for clients that accept gzip", async () => {
    expect(await roundTrip(compressing.server.baseUrl, 50_000)).toEqual({ compressedMessages: 1, value: "same" });
    expect(await roundTrip(compressing.server.baseUrl, 700)).toEqual({ compressedMessages: 0, value: "same" });
  });
});

import http2 from "node:http2";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { FieldSelectionSchema, type HistoryEntry } from "../gen/learnerstate/v1/user_state_pb.js";
import { collect, userStateClient } from "./support/clients.js";
import { blockKey, errorInfoOf, expectCode, unique, useServer } from "./support/fixture.js";

const fixture = useServer();
const course = () => `course-v1:${unique("Org")}+Hist+2026`;

async function history(username: string, key: string, protocol: "grpc" | "connect" = "grpc"): Promise<HistoryEntry[]> {
  const client = protocol === "grpc" ? fixture.client : userStateClient(fixture.server.baseUrl, "connect");
  const messages = await collect(client.getHistory({ username, blockKey: key }));
  return messages.flatMap((message) => message.entries);
}

describe("GetHistory", () => {
  it("records every write with the full state after it, newest first, and an explicit none for a deletion", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "h");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { a: "1" } }] });
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { b: "2" } }] });
    await fixture.client.deleteMany({ username, blockKeys: [key], fieldSelection: create(FieldSelectionSchema, { fieldNames: ["a"] }) });
    await fixture.client.deleteMany({ username, blockKeys: [key] });
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: {} }] });

    const entries = await history(username, key);
    expect(entries.map((entry) => (entry.state === undefined ? null : entry.state.fields))).toEqual([
      {}, // set with no fields after the deletion: the empty state, not "none"
      null, // full delete
      { b: "2" }, // partial delete
      { a: "1", b: "2" },
      { a: "1" },
    ]);
    expect(entries.every((entry) => entry.username === username && entry.blockKey === key)).toBe(true);
    const times = entries.map((entry) => entry.updateTime!.seconds * 1_000_000n + BigInt(entry.updateTime!.nanos / 1000));
    expect([...times].sort((x, y) => (x > y ? -1 : x < y ? 1 : 0))).toEqual(times);
  });

  it("distinguishes none from {} on the JSON wire too", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "json");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: {} }] });
    await fixture.client.deleteMany({ username, blockKeys: [key] });
    const frames = unframe(await postHttp2(fixture.server.baseUrl, "/learnerstate.v1.UserStateService/GetHistory", envelope({ username, blockKey: key })));
    const entries = frames.flatMap((frame) => (frame.entries as Array<Record<string, unknown>> | undefined) ?? []);
    expect(entries.map((entry) => "state" in entry)).toEqual([false, true]);
    expect(entries[1]!["state"]).toEqual({});
  });

  it("a partial delete that removes the last field is recorded as a deletion", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "last");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { only: "1" } }] });
    await fixture.client.deleteMany({ username, blockKeys: [key], fieldSelection: create(FieldSelectionSchema, { fieldNames: ["only"] }) });
    expect((await history(username, key)).map((entry) => entry.state?.fields ?? null)).toEqual([null, { only: "1" }]);
  });

  it("survives the deletion of the state and streams long histories in several messages", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "long");
    for (let write = 0; write < 130; write += 1) {
      await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { n: String(write) } }] });
    }
    await fixture.client.deleteMany({ username, blockKeys: [key] });
    const messages = await collect(fixture.client.getHistory({ username, blockKey: key }));
    expect(messages.map((message) => message.entries.length)).toEqual([100, 31]);
    const values = messages.flatMap((message) => message.entries.map((entry) => entry.state?.fields["n"] ?? null));
    const expected = [null, ...Array.from({ length: 130 }, (_, index) => String(129 - index))];
    expect(values).toEqual(expected);

    // batch_size sets the entries per message, as in IterAll (over 1,000 is 1,000), over both wires.
    for (const protocol of ["grpc", "connect"] as const) {
      const client = protocol === "grpc" ? fixture.client : userStateClient(fixture.server.baseUrl, "connect");
      const inFifties = await collect(client.getHistory({ username, blockKey: key, batchSize: 50 }));
      expect(inFifties.map((message) => message.entries.length), protocol).toEqual([50, 50, 31]);
      expect(inFifties.flatMap((message) => message.entries.map((entry) => entry.state?.fields["n"] ?? null))).toEqual(expected);
      const inOne = await collect(client.getHistory({ username, blockKey: key, batchSize: 5000 }));
      expect(inOne.map((message) => message.entries.length), protocol).toEqual([131]);
    }
  });

  it("refuses a negative batch_size, naming the field", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "neg");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { n: "1" } }] });
    const error = await expectCode(collect(fixture.client.getHistory({ username, blockKey: key, batchSize: -1 })), Code.InvalidArgument);
    expect(errorInfoOf(error)).toMatchObject({ reason: "INVALID_BATCH_SIZE", metadata: { field: "batch_size" } });
  });

  it("is NOT_FOUND for a block that never had state for the learner", async () => {
    const error = await expectCode(history(unique("learner"), blockKey(course(), "problem", "never")), Code.NotFound);
    expect(errorInfoOf(error).reason).toBe("STATE_NOT_FOUND");
  });
});

/** POSTs a Connect streaming JSON request over h2c and returns the response body. */
async function postHttp2(baseUrl: string, path: string, body: Uint8Array): Promise<Uint8Array> {
  const session = http2.connect(baseUrl);
  try {
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/connect+json" });
    stream.end(body);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  } finally {
    session.close();
  }
}

/** A Connect streaming request body: one uncompressed JSON frame. */
function envelope(message: unknown): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(message));
  const frame = new Uint8Array(5 + body.length);
  new DataView(frame.buffer).setUint32(1, body.length);
  frame.set(body, 5);
  return frame;
}

/** The JSON messages of a Connect streaming response (the end-of-stream frame included). */
function unframe(bytes: Uint8Array): Array<Record<string, unknown>> {
  const frames: Array<Record<string, unknown>> = [];
  for (let offset = 0; offset < bytes.length; ) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + offset + 1, 4).getUint32(0);
    frames.push(JSON.parse(new TextDecoder().decode(bytes.subarray(offset + 5, offset + 5 + length))) as Record<string, unknown>);
    offset += 5 + length;
  }
  return frames;
}

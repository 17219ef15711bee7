// The gRPC protocol on the wire, checked with calls made by hand (node:http2):
// the service's own gRPC path (the default) and Connect's adapter
// (GRPC_PATH=connect) must answer every case alike, as the contract and
// gRPC's protocol say.
import http2 from "node:http2";
import { Code } from "@connectrpc/connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { describe, expect, it } from "vitest";
import { DescribeKeyRequestSchema, KeyFamily } from "../gen/learnerstate/v1/key_service_pb.js";
import { GetManyRequestSchema, GetManyResponseSchema, IterAllForCourseRequestSchema, SetManyRequestSchema } from "../gen/learnerstate/v1/user_state_service_pb.js";
import { blockKey, errorInfoOf, unique, useServer, type ServerFixture } from "./support/fixture.js";
import { scrapeMetrics } from "./support/metrics.js";
import { grpcFrame, messagesOf, rawGrpcCall, type RawAnswer } from "./support/raw-grpc.js";

const maxMessageBytes = 64 * 1024;

/** Where the two servers may differ within gRPC's protocol: what the gRPC path promises beyond Connect's adapter. */
interface PathPromises {
  /** An error before any message comes trailers-only (no DATA, no trailers frame). */
  readonly trailersOnlyErrors: boolean;
  /** UNIMPLEMENTED for an unknown message encoding lists the ones it accepts (grpc-accept-encoding). */
  readonly listsEncodings: boolean;
  /** A request above the limit is cut with RST_STREAM(NO_ERROR) once answered, so a client blocked on flow control ends. */
  readonly resetsOversized: boolean;
}

const servers: Array<[string, ServerFixture, PathPromises]> = [
  ["the gRPC path", useServer({ env: { MAX_MESSAGE_BYTES: String(maxMessageBytes) } }), { trailersOnlyErrors: true, listsEncodings: true, resetsOversized: true }],
  [
    "Connect's adapter (GRPC_PATH=connect)",
    useServer({ env: { MAX_MESSAGE_BYTES: String(maxMessageBytes), GRPC_PATH: "connect" } }),
    { trailersOnlyErrors: false, listsEncodings: false, resetsOversized: false },
  ],
];

const getMany = "/learnerstate.v1.UserStateService/GetMany";
const setMany = "/learnerstate.v1.UserStateService/SetMany";
const iterAllForCourse = "/learnerstate.v1.UserStateService/IterAllForCourse";

/** The status of a raw answer as a ConnectError, read as clients read it (details included); undefined for OK. */
function errorOf(answer: RawAnswer) {
  const fields = new Headers();
  for (const [name, value] of Object.entries(Object.keys(answer.trailers).length > 0 ? answer.trailers : answer.headers)) {
    if (!name.startsWith(":") && value !== undefined) fields.set(name, String(value));
  }
  return findTrailerError(fields);
}

/** Stores `count` states in `course`: 100 problems of each of `count / 100` learners. */
async function storeStates(fixture: ServerFixture, course: string, count: number): Promise<void> {
  const answer = { answer: JSON.stringify("x".repeat(200)) };
  for (let learner = 0; learner < count / 100; learner += 1) {
    const updates = Array.from({ length: 100 }, (_, index) => ({ blockKey: blockKey(course, "problem", `p${index}`), fields: answer }));
    await fixture.client.setMany({ username: unique("learner"), updates });
  }
}

describe.each(servers)("gRPC served by %s", (_name, fixture, promises) => {
  it("answers an error before any message (trailers-only on the gRPC path), with the ErrorInfo in grpc-status-details-bin and the request id", async () => {
    const answer = await rawGrpcCall(fixture.server.baseUrl, getMany, grpcFrame(GetManyRequestSchema, { username: "someone", blockKeys: ["not a key"] }), {
      headers: { "x-request-id": "raw-call-1" },
    });
    expect(answer.status).toBe(Code.InvalidArgument);
    expect(answer.messages).toHaveLength(0);
    if (promises.trailersOnlyErrors) expect(answer.trailers).toEqual({});
    expect(answer.headers["x-request-id"]).toBe("raw-call-1");
    expect(errorInfoOf(errorOf(answer)!)).toMatchObject({ reason: "INVALID_USAGE_KEY", domain: "learnerstate" });
  });

  it("sends headers, the messages, then the status in trailers", async () => {
    const username = unique("learner");
    const key = blockKey(`course-v1:${unique("Org")}+Raw+2026`, "problem", "p");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { answer: "42" } }] });
    const answer = await rawGrpcCall(fixture.server.baseUrl, getMany, grpcFrame(GetManyRequestSchema, { username, blockKeys: [key] }));
    expect(answer.headers[":status"]).toBe(200);
    expect(String(answer.headers["content-type"])).toMatch(/^application\/grpc/u);
    expect(answer.trailers["grpc-status"]).toBe("0");
    expect(messagesOf(GetManyResponseSchema, answer)[0]!.blockStates[0]!.fields).toEqual({ answer: "42" });
  });

  it("reads gzipped requests, and refuses an encoding it does not know with UNIMPLEMENTED and what it accepts", async () => {
    const request = { key: "course-v1:edX+DemoX+2026", family: KeyFamily.COURSE };
    const gzipped = await rawGrpcCall(fixture.server.baseUrl, "/learnerstate.v1.KeyService/DescribeKey", grpcFrame(DescribeKeyRequestSchema, request, true), {
      headers: { "grpc-encoding": "gzip" },
    });
    expect(gzipped.status).toBe(0);
    expect(gzipped.messages).toHaveLength(1);
    const unknown = await rawGrpcCall(fixture.server.baseUrl, "/learnerstate.v1.KeyService/DescribeKey", grpcFrame(DescribeKeyRequestSchema, request, true), {
      headers: { "grpc-encoding": "snappy" },
    });
    expect(unknown.status).toBe(Code.Unimplemented);
    if (promises.listsEncodings) expect(String(unknown.headers["grpc-accept-encoding"])).toContain("gzip");
  });

  it("answers RESOURCE_EXHAUSTED to a request above MAX_MESSAGE_BYTES at once, and releases the client that is still sending", async () => {
    const updates = Array.from({ length: 4 }, (_, index) => ({ blockKey: blockKey("course-v1:Org+Big+2026", "problem", `p${index}`), fields: { text: JSON.stringify("y".repeat(maxMessageBytes)) } }));
    const started = Date.now();
    const answer = await rawGrpcCall(fixture.server.baseUrl, setMany, grpcFrame(SetManyRequestSchema, { username: unique("learner"), updates }));
    expect(answer.status).toBe(Code.ResourceExhausted);
    expect(Date.now() - started).toBeLessThan(5000);
    // NO_ERROR: stop sending, nothing went wrong.
    if (promises.resetsOversized) expect(answer.closed).toEqual({ code: 0 });
  });

  it("honours grpc-timeout, and refuses one it cannot read", async () => {
    const username = unique("learner");
    const key = blockKey(`course-v1:${unique("Org")}+Timeout+2026`, "problem", "p");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { n: "1" } }] });
    const locker = await fixture.db.connect();
    try {
      await locker.query("begin");
      await locker.query("select 1 from user_state where username = $1 for update", [username]);
      const started = Date.now();
      const answer = await rawGrpcCall(fixture.server.baseUrl, setMany, grpcFrame(SetManyRequestSchema, { username, updates: [{ blockKey: key, fields: { n: "2" } }] }), {
        headers: { "grpc-timeout": "100m" },
      });
      expect(answer.status).toBe(Code.DeadlineExceeded);
      expect(errorInfoOf(errorOf(answer)!).reason).toBe("OUTCOME_UNKNOWN");
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await locker.query("rollback");
      locker.release();
    }
    const malformed = await rawGrpcCall(fixture.server.baseUrl, getMany, grpcFrame(GetManyRequestSchema, { username, blockKeys: [key] }), { headers: { "grpc-timeout": "soon" } });
    expect(malformed.status).toBe(Code.InvalidArgument);
  });

  it("stops a stream the client resets mid-way, and counts it as CANCELED", async () => {
    const course = `course-v1:${unique("Org")}+Cancel+2026`;
    // More than the client's HTTP/2 window holds: the server must be waiting to send when the reset comes.
    await storeStates(fixture, course, 3000);
    const canceledBefore = await canceledCount(fixture, "IterAllForCourse");
    const answer = await rawGrpcCall(fixture.server.baseUrl, iterAllForCourse, grpcFrame(IterAllForCourseRequestSchema, { courseKey: course, batchSize: 1 }), { cancelAfterMessages: 2 });
    expect(answer.messages.length).toBeGreaterThanOrEqual(2);
    expect(answer.messages.length).toBeLessThan(3000);
    await expect.poll(() => canceledCount(fixture, "IterAllForCourse")).toBe(canceledBefore + 1);
  });

  it("leaves gRPC with JSON messages, and methods it does not know, to Connect's answers", async () => {
    const text = Buffer.from('{"key":"course-v1:edX+DemoX+2026","family":"KEY_FAMILY_COURSE"}');
    const json = await rawGrpcCall(fixture.server.baseUrl, "/learnerstate.v1.KeyService/DescribeKey", Buffer.concat([Buffer.from([0, 0, 0, 0, text.length]), text]), {
      contentType: "application/grpc+json",
    });
    expect(json.status).toBe(0);
    expect(JSON.parse(json.messages[0]!.bytes.toString())).toMatchObject({ description: { canonical: "course-v1:edX+DemoX+2026" } });
    // Connect answers HTTP 404, which gRPC clients read as UNIMPLEMENTED.
    const unknown = await rawGrpcCall(fixture.server.baseUrl, "/learnerstate.v1.UserStateService/NoSuchMethod", Buffer.alloc(5));
    expect(unknown.headers[":status"]).toBe(404);
  });
});

/** CANCELED calls of `method` the server has counted. */
// Connect's adapter reports such a call as INVALID_ARGUMENT ("incomplete envelope").
describe("the gRPC path", () => {
  const [, fixture] = servers[0]!;
  it("counts a call the client resets before its request is complete as CANCELED, not as a bad request", async () => {
    const countOf = async (code: string) => (await scrapeMetrics(fixture.server.metricsUrl)).get(`learnerstate_rpc_errors_total{method="GetMany",code="${code}"}`) ?? 0;
    const [canceledBefore, invalidBefore] = [await countOf("Canceled"), await countOf("InvalidArgument")];
    const whole = grpcFrame(GetManyRequestSchema, { username: unique("learner"), blockKeys: [blockKey("course-v1:Org+Cut+2026", "problem", "p")] });
    const session = http2.connect(fixture.server.baseUrl);
    const call = session.request({ ":method": "POST", ":path": getMany, "content-type": "application/grpc", te: "trailers" });
    call.on("error", () => undefined);
    call.write(whole.subarray(0, whole.length - 5));
    await new Promise((resolve) => setTimeout(resolve, 100));
    call.close(http2.constants.NGHTTP2_CANCEL);
    await expect.poll(() => countOf("Canceled")).toBe(canceledBefore + 1);
    expect(await countOf("InvalidArgument")).toBe(invalidBefore);
    session.close();
  });
});

async function canceledCount(fixture: ServerFixture, method: string): Promise<number> {
  const text = await (await fetch(fixture.server.metricsUrl)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`learnerstate_rpc_errors_total{method="${method}",code="Canceled"}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

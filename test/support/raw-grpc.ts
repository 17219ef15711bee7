// A gRPC call made by hand with node:http2, for tests that look at the wire:
// headers, trailers, trailers-only answers, frames, resets.
import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";

/** What came back for one raw call. */
export interface RawAnswer {
  readonly headers: http2.IncomingHttpHeaders;
  /** Trailers; empty for a trailers-only answer (the status is then in `headers`). */
  readonly trailers: http2.IncomingHttpHeaders;
  /** The response messages, without their 5-byte prefix, and whether each was compressed. */
  readonly messages: ReadonlyArray<{ readonly bytes: Buffer; readonly compressed: boolean }>;
  /**
   * How the stream closed within a second of the status: the RST_STREAM code
   * (0: NO_ERROR or none), or null when it was still open then (the call
   * was complete; the helper then cut it).
   */
  readonly closed: { readonly code: number } | null;
  /** The status, from the trailers or (trailers-only) the headers. */
  readonly status: number;
}

/** A gRPC request body: `message` of `schema` with its prefix, gzipped when `gzip`. */
export function grpcFrame<Desc extends DescMessage>(schema: Desc, message: MessageInitShape<Desc>, gzip = false): Buffer {
  const bytes = toBinary(schema, create(schema, message));
  const body = gzip ? gzipSync(bytes) : Buffer.from(bytes);
  const frame = Buffer.alloc(5 + body.length);
  frame[0] = gzip ? 1 : 0;
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  return frame;
}

/** Decodes the messages of `answer` as `schema`. */
export function messagesOf<Desc extends DescMessage>(schema: Desc, answer: RawAnswer) {
  return answer.messages.map((message) => fromBinary(schema, message.bytes));
}

/** Options of {@link rawGrpcCall}. */
export interface RawCallOptions {
  /** Extra request headers (`grpc-timeout`, `grpc-encoding`, …). */
  readonly headers?: Record<string, string>;
  /** `content-type`; application/grpc unless given. */
  readonly contentType?: string;
  /** Reset the stream with CANCEL once this many messages have come. */
  readonly cancelAfterMessages?: number;
}

/**
 * Sends `body` (frames as the server should read them) to `path` of the
 * server at `baseUrl` and collects the answer: headers, messages, trailers,
 * and how the stream closed.
 */
export function rawGrpcCall(baseUrl: string, path: string, body: Buffer, options: RawCallOptions = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": options.contentType ?? "application/grpc",
      te: "trailers",
      ...options.headers,
    });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const messages: Array<{ bytes: Buffer; compressed: boolean }> = [];
    let pending = Buffer.alloc(0);
    stream.on("response", (received) => (headers = received));
    stream.on("trailers", (received) => (trailers = received));
    stream.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
        const length = pending.readUInt32BE(1);
        messages.push({ bytes: pending.subarray(5, 5 + length), compressed: pending[0] === 1 });
        pending = pending.subarray(5 + length);
        if (options.cancelAfterMessages !== undefined && messages.length >= options.cancelAfterMessages) stream.close(http2.constants.NGHTTP2_CANCEL);
      }
    });
    stream.on("error", () => undefined); // a reset shows in `closed`
    let settled = false;
    const settle = (closed: { code: number } | null) => {
      if (settled) return;
      settled = true;
      const status = Number(trailers["grpc-status"] ?? headers["grpc-status"] ?? Number.NaN);
      resolve({ headers, trailers, messages, closed, status });
      session.destroy();
    };
    stream.on("close", () => settle({ code: stream.rstCode ?? 0 }));
    // The status (trailers, or trailers-only headers) completes the call; a
    // server that then leaves the stream open (its client still sending) is
    // given a second to close it.
    const completed = () => setTimeout(() => settle(null), 1000).unref();
    stream.on("trailers", completed);
    stream.on("response", (received) => received["grpc-status"] !== undefined && completed());
    stream.end(body);
  });
}

import http2, { type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { create, fromBinary, isMessage, toBinary, type DescMessage, type Message } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { toConnectError, wireBytesOf } from "../../rpc/index.js";
import { errorForClient, requestIdKey, type CallHooks, type CallRecord } from "../call-hooks.js";
import type { CallSignal } from "../ending-error.js";
import { createGrpcHandlerContext, type GrpcHandlerContext } from "./grpc-handler-context.js";
import { acceptedEncodings, checkRequestEncoding, frameCompressedResponse, framePrefix, frameResponse, readRequestMessage } from "./grpc-messages.js";
import type { GrpcRoute } from "./grpc-routes.js";

/** What the gRPC path needs. */
export interface GrpcPathOptions {
  /** The methods it serves, by request path. */
  readonly routes: ReadonlyMap<string, GrpcRoute>;
  readonly hooks: CallHooks;
  /** Largest request message, compressed or not (MAX_MESSAGE_BYTES). */
  readonly readMaxBytes: number;
  /** Largest response message. */
  readonly writeMaxBytes: number;
  /** Response messages of at least this many bytes are gzipped for clients that accept gzip; null: never (COMPRESS_MIN_BYTES). */
  readonly compressMinBytes: number | null;
}

/** gRPC calls served on `node:http2` streams directly. */
export interface GrpcPath {
  /**
   * Serves the call on `stream` when it is a gRPC call with binary messages
   * (`application/grpc`, `application/grpc+proto`) to one of the routes;
   * returns false, touching nothing, for any other request.
   */
  serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean;
  /** Cancels every call in progress (shutdown, after its grace period). */
  cancelAll(): void;
}

const grpcContentType = /^application\/grpc(?:\+proto)?$/iu;
const noTimeoutLimit = Number.MAX_SAFE_INTEGER;

function headerOf(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The trailers (or trailers-only headers) that end a call with `error`, or OK when null. */
function statusFields(error: ConnectError | null, handlerTrailer: Headers | null): OutgoingHttpHeaders {
  const trailer = setTrailerStatus(handlerTrailer ?? new Headers(), error ?? undefined);
  const fields: OutgoingHttpHeaders = {};
  trailer.forEach((value, name) => (fields[name] = value));
  return fields;
}

const okTrailers: OutgoingHttpHeaders = { "grpc-status": "0" };

/**
 * The gRPC protocol on `node:http2`'s stream API, for the service's main
 * traffic (generated stubs, the mesh), invoking the same service
 * implementations as Connect's adapter with the same {@link CallHooks}
 * (request ids, logs, metrics, authorization and audit, tracing). It keeps
 * what the contract promises of gRPC: deadlines (`grpc-timeout`, aborting the
 * handler's signal), cancellation when the client resets the stream or goes
 * away, status codes with `grpc-status-details-bin`, trailers-only answers
 * for calls that fail before their first message, gzip both ways, message
 * size limits, and flow control for server streams (the handler is not asked
 * for its next message while the client's window is full). Calls it does not
 * serve (JSON, gRPC-Web, Connect, client or bidi streams) are left to
 * Connect's adapter on the same port. See docs/design.md, "The gRPC path".
 */
export function createGrpcPath(options: GrpcPathOptions): GrpcPath {
  const inProgress = new Set<GrpcCall>();
  return {
    serve(stream, headers) {
      const contentType = headerOf(headers, "content-type");
      if (headers[":method"] !== "POST" || contentType === null || !grpcContentType.test(contentType)) return false;
      const route = options.routes.get(headerOf(headers, ":path") ?? "");
      if (route === undefined) return false;
      const call = new GrpcCall(options, stream, headers, route, contentType);
      inProgress.add(call);
      void call.run().finally(() => inProgress.delete(call));
      return true;
    },
    cancelAll() {
      for (const call of inProgress) call.abort(new ConnectError("the server is shutting down", Code.Canceled));
    },
  };
}

// One call on the gRPC path. A class rather than closures: every call takes
// this path, and one object with methods on its prototype is the cheapest
// way to carry its state.
class GrpcCall implements CallSignal {
  aborted = false;
  reason: ConnectError | undefined = undefined;
  private readonly record: CallRecord;
  // Made only if a handler asks for the signal: most calls end without
  // anyone listening to it.
  private controller: AbortController | null = null;
  private over = false;
  private headersSent = false;
  private context: GrpcHandlerContext | null = null;
  private readonly acceptsGzip: boolean;

  constructor(
    private readonly options: GrpcPathOptions,
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly route: GrpcRoute,
    private readonly contentType: string,
  ) {
    this.record = options.hooks({ method: route.method, header: (name) => headerOf(headers, name) });
    this.acceptsGzip = options.compressMinBytes !== null && (headerOf(headers, "grpc-accept-encoding") ?? "").split(/\s*,\s*/u).includes("gzip");
  }

  /** Cancels the call: its handler's signal aborts with `reason`. */
  abort(reason: ConnectError): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }

  private signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  async run(): Promise<void> {
    const { stream, headers, route, record } = this;
    const onClose = () => {
      if (!this.over) this.abort(new ConnectError("the client went away before the call ended", Code.Canceled));
    };
    stream.once("close", onClose);
    // A client that resets the stream makes it emit "error" (unhandled, it
    // would end the process); the call is then cancelled by "close".
    stream.on("error", ignoreStreamError);
    const timeout = parseTimeout(headerOf(headers, "grpc-timeout"), noTimeoutLimit);
    const deadline = timeout.timeoutMs === undefined ? null : Date.now() + timeout.timeoutMs;
    const timer =
      timeout.timeoutMs === undefined || timeout.error !== undefined
        ? undefined
        : setTimeout(() => this.abort(new ConnectError("the call's deadline passed", Code.DeadlineExceeded)), timeout.timeoutMs);
    try {
      if (timeout.error !== undefined) throw timeout.error;
      const encoding = headerOf(headers, "grpc-encoding") ?? undefined;
      const encodingError = checkRequestEncoding(encoding);
      if (encodingError !== null) throw encodingError;
      const refusal = record.shed();
      if (refusal !== null) throw refusal;
      const request = fromBinary(route.method.input, await readRequestMessage(stream, this.options.readMaxBytes, encoding));
      const admitted = record.admit(request);
      if (admitted !== undefined) await admitted;
      const context = createGrpcHandlerContext({ service: route.service, method: route.method, signal: () => this.signal(), deadline, headers, url: headerOf(headers, ":path") ?? "" });
      this.context = context;
      context.values.set(requestIdKey, record.requestId);
      if (route.streaming) {
        for await (const message of route.invoke(request, context) as AsyncIterable<unknown>) {
          await this.send(message);
        }
      } else {
        await this.send(await (route.invoke(request, context) as Promise<unknown>));
      }
      record.ended(null, this);
      this.finish(null);
    } catch (error) {
      const wire = failure(error, this);
      record.ended(wire, this);
      this.finish(errorForClient(wire, record.requestId));
    } finally {
      this.over = true;
      clearTimeout(timer);
      stream.off("close", onClose);
    }
  }

  private gone(): boolean {
    return this.stream.destroyed || this.stream.closed;
  }

  private sendHeaders(): void {
    this.headersSent = true;
    const fields: OutgoingHttpHeaders = { ":status": 200, "content-type": this.contentType, "grpc-accept-encoding": acceptedEncodings, "x-request-id": this.record.requestId };
    if (this.acceptsGzip) fields["grpc-encoding"] = "gzip";
    this.context?.setResponseHeader()?.forEach((value, name) => (fields[name] = value));
    this.stream.respond(fields, { waitForTrailers: true });
  }

  /**
   * Encodes and sends one response message; resolves once the client's
   * window takes more. A message whose encoding an encoder recorded (pages of
   * rows) goes out as those bytes, after its prefix, uncopied.
   */
  private async send(value: unknown): Promise<void> {
    const { route, options, stream } = this;
    const message = asMessage(route.method.output, value);
    const recorded = wireBytesOf(message);
    const length = recorded === undefined ? 0 : recorded.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const compress = this.acceptsGzip && (recorded === undefined ? Number.POSITIVE_INFINITY : length) >= options.compressMinBytes!;
    let frame: Buffer[];
    // Called once the frame's last piece is out: a recorded encoding's buffer may then be reused.
    let written: (() => void) | undefined;
    if (recorded !== undefined && !compress) {
      frame = [framePrefix(length, options.writeMaxBytes), ...recorded.chunks.map((chunk) => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))];
      written = recorded.written;
    } else {
      const bytes = recorded === undefined ? toBinary(route.method.output, message) : Buffer.concat(recorded.chunks);
      recorded?.written();
      frame = [this.acceptsGzip && bytes.length >= options.compressMinBytes! ? await frameCompressedResponse(bytes, options.writeMaxBytes) : frameResponse(bytes, options.writeMaxBytes)];
    }
    if (this.gone()) throw this.reason ?? new ConnectError("the client went away before the call ended", Code.Canceled);
    if (!this.headersSent) this.sendHeaders();
    this.record.responded(message, route.streaming);
    let open = true;
    if (frame.length > 1) stream.cork();
    frame.forEach((piece, index) => {
      open = index === frame.length - 1 && written !== undefined ? stream.write(piece, written) : stream.write(piece);
    });
    if (frame.length > 1) stream.uncork();
    if (!open) await drained(stream);
  }

  /** Ends the call with its status: in trailers, or trailers-only when nothing was sent yet. */
  private finish(error: ConnectError | null): void {
    this.over = true;
    const { stream } = this;
    if (this.gone()) return;
    const handlerTrailer = this.context?.setResponseTrailer() ?? null;
    const trailer = error === null && handlerTrailer === null ? okTrailers : statusFields(error, handlerTrailer);
    if (!this.headersSent) {
      stream.respond(
        { ":status": 200, "content-type": this.contentType, "grpc-accept-encoding": acceptedEncodings, "x-request-id": this.record.requestId, ...trailer },
        { endStream: true },
      );
    } else {
      stream.once("wantTrailers", () => stream.sendTrailers(trailer));
      stream.end();
    }
    // An answer before the whole request was read (a message too large):
    // RST_STREAM(NO_ERROR) once it is out tells the client to stop sending.
    if (!stream.readableEnded) stream.once("finish", () => stream.destroyed || stream.close(http2.constants.NGHTTP2_NO_ERROR));
  }
}

/** A handler's answer as a message of `schema` (handlers may answer with a plain init object). */
function asMessage(schema: DescMessage, value: unknown): Message {
  return isMessage(value, schema) ? value : create(schema, value as never);
}

/**
 * What a call that threw `error` ended with: domain errors as wire errors;
 * anything else thrown after the client went away or the deadline passed is
 * that (the signal's reason); anything else is left as it is (INTERNAL).
 */
function failure(error: unknown, signal: CallSignal): unknown {
  const mapped = toConnectError(error);
  if (mapped instanceof ConnectError) return mapped;
  return signal.aborted && signal.reason instanceof ConnectError ? signal.reason : mapped;
}

function ignoreStreamError(): void {
  // See where it is attached.
}

/** Resolves once `stream` can take more, or is gone. */
function drained(stream: ServerHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

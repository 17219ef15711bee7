import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { createContextValues, type ContextValues, type HandlerContext } from "@connectrpc/connect";
import type { IncomingHttpHeaders } from "node:http2";

/** A handler context with what it was given, and the response headers and trailers handlers set, if any. */
export interface GrpcHandlerContext extends HandlerContext {
  /** The headers a handler set; null when it set none. */
  setResponseHeader(): Headers | null;
  /** The trailers a handler set; null when it set none. */
  setResponseTrailer(): Headers | null;
}

/** The Headers of HTTP/2 request headers, without pseudo-headers. */
export function headersOf(headers: IncomingHttpHeaders): Headers {
  const result = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) result.append(name, item);
    else result.append(name, value);
  }
  return result;
}

/** What a {@link createGrpcHandlerContext} is made from. */
export interface GrpcHandlerContextInit {
  readonly service: DescService;
  readonly method: DescMethod;
  /** The call's signal, made when first asked for. */
  signal(): AbortSignal;
  /** Epoch milliseconds of the deadline; null: none. */
  readonly deadline: number | null;
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
}

/**
 * The HandlerContext of one call on the gRPC path: what the service
 * implementations read of it (signal, deadline, request headers, values)
 * without the per-call machinery of Connect's. The signal, the request
 * Headers and the response headers and trailers are made only when a
 * handler asks for them.
 */
export function createGrpcHandlerContext(init: GrpcHandlerContextInit): GrpcHandlerContext {
  return new LazyHandlerContext(init);
}

// A class: one allocation per call, its getters on the prototype.
class LazyHandlerContext implements GrpcHandlerContext {
  readonly requestMethod = "POST";
  readonly protocolName = "grpc";
  readonly values: ContextValues = createContextValues();
  private requestHeaders: Headers | null = null;
  private responseHeaders: Headers | null = null;
  private responseTrailers: Headers | null = null;

  constructor(private readonly init: GrpcHandlerContextInit) {}

  get service(): DescService {
    return this.init.service;
  }
  get method(): DescMethod {
    return this.init.method;
  }
  get url(): string {
    return this.init.url;
  }
  get signal(): AbortSignal {
    return this.init.signal();
  }
  timeoutMs(): number | undefined {
    return this.init.deadline === null ? undefined : this.init.deadline - Date.now();
  }
  get requestHeader(): Headers {
    return (this.requestHeaders ??= headersOf(this.init.headers));
  }
  get responseHeader(): Headers {
    return (this.responseHeaders ??= new Headers());
  }
  get responseTrailer(): Headers {
    return (this.responseTrailers ??= new Headers());
  }
  setResponseHeader(): Headers | null {
    return this.responseHeaders;
  }
  setResponseTrailer(): Headers | null {
    return this.responseTrailers;
  }
}

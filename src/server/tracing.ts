import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { Code, type Interceptor } from "@connectrpc/connect";
import { endingError } from "./ending-error.js";
import { onCallEnd } from "./on-call-end.js";

/** Tracing of calls, exported over OTLP/HTTP; absent unless an endpoint is configured. */
export interface Tracing {
  readonly interceptor: Interceptor;
  /** Exports what is pending and stops. */
  shutdown(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();

/**
 * Starts tracing to `endpoint` (OTEL_EXPORTER_OTLP_ENDPOINT, for example
 * `http://collector:4318`): one server span per call, child of the caller's
 * W3C `traceparent` when it sends one, ended with the call's last message.
 */
export function startTracing(endpoint: string): Tracing {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "learnerstate" }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/u, "")}/v1/traces` }), { scheduledDelayMillis: 500 })],
  });
  const tracer: Tracer = provider.getTracer("learnerstate");

  const interceptor: Interceptor = (next) => async (request) => {
    const parent = propagator.extract(ROOT_CONTEXT, request.header, { get: (headers, key) => headers.get(key) ?? undefined, keys: (headers) => [...headers.keys()] });
    const span = tracer.startSpan(
      `${request.service.typeName}/${request.method.name}`,
      { kind: SpanKind.SERVER, attributes: { "rpc.system": "connect_rpc", "rpc.service": request.service.typeName, "rpc.method": request.method.name } },
      parent,
    );
    const fail = (error: unknown) => {
      const connectError = endingError(error, request.signal);
      span.setAttribute("rpc.grpc.status_code", connectError.code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: Code[connectError.code] });
      span.end();
      return error;
    };
    try {
      return onCallEnd(await next(request), () => span.end(), fail);
    } catch (error) {
      throw fail(error);
    }
  };
  return { interceptor, shutdown: () => provider.shutdown() };
}

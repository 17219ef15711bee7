import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { Code, type ConnectError } from "@connectrpc/connect";
import type { CallStart } from "./call-hooks.js";

/** One call's span. */
export interface CallSpan {
  /** Ends the span; `error` is what the call ended with (null: OK). */
  end(error: ConnectError | null): void;
}

/** Spans of calls (see {@link startTracing}). */
export interface CallSpans {
  start(call: CallStart): CallSpan;
}

/** Tracing of calls, exported over OTLP/HTTP; absent unless an endpoint is configured. */
export interface Tracing {
  readonly spans: CallSpans;
  /** Exports what is pending and stops. */
  shutdown(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();
const headerGetter = { get: (call: CallStart, key: string) => call.header(key) ?? undefined, keys: () => ["traceparent", "tracestate"] };

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
  const spans: CallSpans = {
    start(call) {
      const service = call.method.parent.typeName;
      const span = tracer.startSpan(
        `${service}/${call.method.name}`,
        { kind: SpanKind.SERVER, attributes: { "rpc.system": "connect_rpc", "rpc.service": service, "rpc.method": call.method.name } },
        propagator.extract(ROOT_CONTEXT, call, headerGetter),
      );
      return {
        end(error) {
          if (error !== null) {
            span.setAttribute("rpc.grpc.status_code", error.code);
            span.setStatus({ code: SpanStatusCode.ERROR, message: Code[error.code] });
          }
          span.end();
        },
      };
    },
  };
  return { spans, shutdown: () => provider.shutdown() };
}

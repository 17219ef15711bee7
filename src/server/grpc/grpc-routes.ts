import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";

/** A unary or server-streaming method the gRPC path serves, and its implementation. */
export interface GrpcRoute {
  readonly service: DescService;
  readonly method: DescMethod;
  /** Whether it answers with a stream of messages. */
  readonly streaming: boolean;
  /** Calls the implementation: a promise of the response for unary methods, the response messages otherwise. */
  invoke(request: unknown, context: HandlerContext): Promise<unknown> | AsyncIterable<unknown>;
}

/** A service and its implementation, as Connect's router takes them. */
export interface ServiceRoute {
  readonly service: DescService;
  readonly implementation: object;
}

type Implementation = (request: unknown, context: HandlerContext) => Promise<unknown> | AsyncIterable<unknown>;

/**
 * The routes of the gRPC path, by request path (`/package.Service/Method`):
 * the unary and server-streaming methods of `services` that have an
 * implementation. Client and bidi streams are left to Connect's adapter.
 */
export function grpcRoutes(services: readonly ServiceRoute[]): Map<string, GrpcRoute> {
  const routes = new Map<string, GrpcRoute>();
  for (const { service, implementation } of services) {
    for (const method of service.methods) {
      if (method.methodKind !== "unary" && method.methodKind !== "server_streaming") continue;
      const handler = (implementation as Record<string, Implementation | undefined>)[method.localName];
      if (typeof handler !== "function") continue;
      routes.set(`/${service.typeName}/${method.name}`, {
        service,
        method,
        streaming: method.methodKind === "server_streaming",
        invoke: (request, context) => handler.call(implementation, request, context),
      });
    }
  }
  return routes;
}

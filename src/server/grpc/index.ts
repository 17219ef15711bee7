// The gRPC protocol served on node:http2 streams (see grpc-path.ts).
export { createGrpcPath } from "./grpc-path.js";
export type { GrpcPath, GrpcPathOptions } from "./grpc-path.js";
export { grpcRoutes } from "./grpc-routes.js";
export type { GrpcRoute, ServiceRoute } from "./grpc-routes.js";

import { createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { transportTo } from "./clients.js";

/** The server's overall health status, as a name ("SERVING", "NOT_SERVING", …). */
export async function healthOf(baseUrl: string, service = ""): Promise<string> {
  const response = await createClient(Health, transportTo(baseUrl)).check({ service }, { timeoutMs: 3000 });
  return HealthCheckResponse_ServingStatus[response.status];
}

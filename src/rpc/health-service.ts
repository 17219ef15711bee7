import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";

/** What the health service reports on: whether each known service serves now. */
export interface HealthSource {
  /** Names of the services the server knows ("" is the server as a whole). */
  readonly services: readonly string[];
  /** Whether `service` answers calls now. */
  serving(service: string): Promise<boolean>;
  /** How often Watch re-checks, in milliseconds. */
  readonly watchIntervalMs: number;
}

const statusOf = (serving: boolean) => (serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** Implements grpc.health.v1.Health (Check and Watch) over `source`. */
export function createHealthService(source: HealthSource): ServiceImpl<typeof Health> {
  return {
    async check(request) {
      if (!source.services.includes(request.service)) throw new ConnectError(`unknown service ${JSON.stringify(request.service)}`, Code.NotFound);
      return { status: statusOf(await source.serving(request.service)) };
    },
    async *watch(request, context) {
      if (!source.services.includes(request.service)) {
        yield { status: ServingStatus.SERVICE_UNKNOWN };
        return;
      }
      let last: ServingStatus | undefined;
      while (!context.signal.aborted) {
        const status = statusOf(await source.serving(request.service));
        if (status !== last) yield { status };
        last = status;
        await sleep(source.watchIntervalMs, context.signal);
      }
    },
  };
}

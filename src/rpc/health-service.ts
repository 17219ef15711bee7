import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";

/**
 * What the health service reports on: state the server already keeps
 * (readiness, the heartbeat's finding, the breaker, draining), never a
 * database round trip, so that a check answers at once whatever the
 * database does.
 */
export interface HealthSource {
  /** Names of the services the server knows ("" is the server as a whole). */
  readonly services: readonly string[];
  /** Whether `service` answers calls now. */
  serving(service: string): boolean;
  /** Calls `listener` when anything `serving` depends on may have changed; returns a function that stops it. */
  onChange(listener: () => void): () => void;
}

const statusOf = (serving: boolean) => (serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);

/** Resolves on the source's next change, or when `signal` aborts. */
function nextChange(source: HealthSource, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stop();
      signal.removeEventListener("abort", done);
      resolve();
    };
    const stop = source.onChange(done);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Implements grpc.health.v1.Health over `source`: Check answers from kept
 * state; Watch sends the current status, then a message on each change.
 */
export function createHealthService(source: HealthSource): ServiceImpl<typeof Health> {
  return {
    check(request) {
      if (!source.services.includes(request.service)) throw new ConnectError(`unknown service ${JSON.stringify(request.service)}`, Code.NotFound);
      return { status: statusOf(source.serving(request.service)) };
    },
    async *watch(request, context) {
      if (!source.services.includes(request.service)) {
        yield { status: ServingStatus.SERVICE_UNKNOWN };
        return;
      }
      let last: ServingStatus | undefined;
      while (!context.signal.aborted) {
        // Subscribe before reading, so a change between the two is not missed.
        const changed = nextChange(source, context.signal);
        const status = statusOf(source.serving(request.service));
        if (status !== last) yield { status };
        last = status;
        await changed;
      }
    },
  };
}

import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from "cockatiel";
import { LearnerStateError } from "../domain/errors.js";
import type { CallLimits } from "../domain/state/index.js";
import { translateDriverError } from "./translate-driver-error.js";

/** Options of {@link createDatabaseGuard}. */
export interface DatabaseGuardOptions {
  /** Consecutive infrastructure failures (or server-side timeouts) that open the breaker. */
  readonly failureThreshold: number;
  /** How long the breaker stays open before one probe call may try the database again. */
  readonly halfOpenAfterMs: number;
  /** Longest any one statement may run before it is cancelled and counted as a failure. */
  readonly statementTimeoutMs: number;
}

/** Whether database work is let through. */
export type BreakerState = "closed" | "open" | "half-open";

/** Wraps every piece of database work: the circuit breaker and the time bounds. */
export interface DatabaseGuard {
  /**
   * Runs `work`, giving it the milliseconds its statements may take: the
   * smaller of the statement timeout and what is left of the caller's
   * deadline. Throws "unavailable" at once while the breaker is open (with
   * `retryAfterMs` in the metadata), "deadline-exceeded" when the caller's
   * deadline cut the work short, and translated driver errors otherwise.
   */
  run<T>(call: CallLimits, work: (timeoutMs: number) => Promise<T>): Promise<T>;
  state(): BreakerState;
  /** Calls `listener` on every breaker transition; returns a function that stops it. */
  onStateChange(listener: (state: BreakerState) => void): () => void;
}

const stateNames: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half-open",
  [CircuitState.Isolated]: "open",
};

function isTimeout(error: unknown): boolean {
  const name = error instanceof Error ? error.name : "";
  const message = error instanceof Error ? error.message : "";
  // knex reports both a query that ran too long and a pool that had no free
  // connection as KnexTimeoutError; only the first is a statement timeout.
  return (name === "KnexTimeoutError" && !message.includes("acquiring a connection")) || (error as { code?: unknown }).code === "57014";
}

/**
 * Creates the guard. Only "unavailable" errors count towards opening the
 * breaker: a bad request, a constraint error or a client's short deadline
 * never does.
 */
export function createDatabaseGuard(options: DatabaseGuardOptions): DatabaseGuard {
  const breaker = circuitBreaker(
    handleWhen((error) => error instanceof LearnerStateError && error.kind === "unavailable"),
    { halfOpenAfter: options.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.failureThreshold) },
  );
  let openedAt = 0;
  breaker.onBreak(() => (openedAt = Date.now()));

  return {
    async run(call, work) {
      const remainingMs = call.deadlineMs === null ? Number.POSITIVE_INFINITY : call.deadlineMs - Date.now();
      if (remainingMs <= 0) throw new LearnerStateError("deadline-exceeded", "DEADLINE_EXCEEDED", "the call's deadline passed before the database was asked");
      const clientBound = remainingMs < options.statementTimeoutMs;
      const timeoutMs = Math.max(1, Math.floor(Math.min(remainingMs, options.statementTimeoutMs)));
      try {
        return await breaker.execute(async () => {
          try {
            return await work(timeoutMs);
          } catch (error) {
            if (!isTimeout(error)) throw translateDriverError(error);
            if (clientBound) {
              throw new LearnerStateError("deadline-exceeded", "DEADLINE_EXCEEDED", "the call's deadline passed; its query was cancelled", {}, { cause: error });
            }
            throw new LearnerStateError("unavailable", "STORE_TIMEOUT", `the database did not answer within ${options.statementTimeoutMs} ms; retry later`, {}, { cause: error });
          }
        });
      } catch (error) {
        if (!(error instanceof BrokenCircuitError)) throw error;
        const retryAfterMs = Math.max(0, openedAt + options.halfOpenAfterMs - Date.now());
        throw new LearnerStateError("unavailable", "STORE_UNAVAILABLE", "the state database is unavailable (circuit open); retry later", {
          retryAfterMs: String(retryAfterMs),
        });
      }
    },
    state: () => stateNames[breaker.state],
    onStateChange(listener) {
      const subscription = breaker.onStateChange((state) => listener(stateNames[state]));
      return () => subscription.dispose();
    },
  };
}

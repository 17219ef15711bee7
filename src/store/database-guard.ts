import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type IDisposable } from "cockatiel";
import { LearnerStateError } from "../domain/errors.js";
import type { CallLimits } from "../domain/state/index.js";
import { translateDriverError } from "./translate-driver-error.js";
import type { WorkAdmission } from "./work-admission.js";

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

/** Whether a piece of work only reads, or may change data. */
export type WorkAccess = "read" | "write";

/** What the guard gives a piece of work. */
export interface WorkBounds {
  /** Milliseconds its statements may take: the smaller of the statement timeout and what is left of the caller's deadline. */
  readonly timeoutMs: number;
  /**
   * To be called just before the first statement goes to the database (after
   * a connection was acquired). A failure before it means the database never
   * saw the work, which makes UNAVAILABLE honest even for a write.
   */
  sent(): void;
}

/** Wraps every piece of database work: the circuit breaker and the time bounds. */
export interface DatabaseGuard {
  /**
   * Runs `work` once admission (work-admission.ts) lets it, and answers
   * within its time bound whatever the database does. Throws OVERLOADED
   * ("resource-exhausted", nothing sent) when admission refuses it, and
   * "unavailable" at once while the breaker is open or held
   * (with `retryAfterMs` in the metadata), and "unavailable" when the work
   * failed before reaching the database. Once a statement was sent: a read
   * that fails is "unavailable" or "deadline-exceeded" (nothing changed); a
   * write whose outcome cannot be known (timed out, connection lost) is
   * OUTCOME_UNKNOWN, "deadline-exceeded" when the caller's deadline was the
   * bound and "aborted" otherwise. Errors PostgreSQL answered are translated
   * (translate-driver-error.ts).
   */
  run<T>(call: CallLimits, access: WorkAccess, work: (bounds: WorkBounds) => Promise<T>): Promise<T>;
  state(): BreakerState;
  /** Calls `listener` on every breaker transition; returns a function that stops it. */
  onStateChange(listener: (state: BreakerState) => void): () => void;
  /**
   * Refuses all work with "unavailable" (`reason`, e.g. STORE_NOT_READY) until
   * {@link release} is called with the same `hold`: for a database that is not
   * migrated yet, or that a heartbeat found silent. Work already waiting for
   * the database is answered at once, as it would be at its time bound (a
   * write that was sent: OUTCOME_UNKNOWN). Holds stack.
   */
  hold(hold: string, reason: string, message: string, retryAfterMs: number): void;
  release(hold: string): void;
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

/** Raised by the guard's own timer when the work has not settled within its bound. */
class BoundPassed extends Error {
  override readonly name = "BoundPassed";
}

/** Raised for work still waiting when a hold begins: the database was found silent or gone. */
class HeldOff extends Error {
  override readonly name = "HeldOff";
}

// The guard's timer fires this long after the statement's own timeout, so
// that a database that answers the cancellation gets to report it first.
const timerSlackMs = 20;
// Against a caller's deadline the guard answers a little ahead of it, so that
// its answer (saying whether a write's outcome is known) still reaches the caller.
const answerAheadMs = (timeoutMs: number) => Math.min(50, Math.floor(timeoutMs / 10));

const outcomeUnknown = (kind: "aborted" | "deadline-exceeded", why: string, cause: unknown) =>
  new LearnerStateError(kind, "OUTCOME_UNKNOWN", `${why}; the write may or may not have been applied: read the state before retrying`, {}, { cause });

/**
 * Creates the guard, its work admitted by `admission` (shared by the primary
 * and the standbys: one server, one bound on its work). Only failures of the database count towards opening the
 * breaker ("unavailable", and writes whose outcome is unknown because the
 * database did not answer): a bad request, a constraint error or a client's
 * short deadline never does.
 */
export function createDatabaseGuard(options: DatabaseGuardOptions, admission: WorkAdmission): DatabaseGuard {
  const breaker = circuitBreaker(
    handleWhen((error) => error instanceof LearnerStateError && (error.kind === "unavailable" || (error.kind === "aborted" && error.reason === "OUTCOME_UNKNOWN"))),
    { halfOpenAfter: options.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.failureThreshold) },
  );
  let openedAt = 0;
  breaker.onBreak(() => (openedAt = Date.now()));
  const holds = new Map<string, { reason: string; message: string; retryAfterMs: number }>();
  // Work waiting for the database, each with a way to stop waiting for it.
  const waiting = new Set<(error: HeldOff) => void>();
  let isolation: IDisposable | null = null;

  function classify(error: unknown, access: WorkAccess, sent: boolean, clientBound: boolean): unknown {
    if (error instanceof LearnerStateError) return error;
    if (error instanceof HeldOff) {
      if (access === "write" && sent) return outcomeUnknown("aborted", error.message, error);
      return new LearnerStateError("unavailable", "STORE_UNAVAILABLE", `${error.message}; retry later`, {}, { cause: error });
    }
    if (isTimeout(error) || error instanceof BoundPassed) {
      if (clientBound) {
        if (access === "write" && sent) return outcomeUnknown("deadline-exceeded", "the call's deadline passed while its statement ran", error);
        return new LearnerStateError("deadline-exceeded", "DEADLINE_EXCEEDED", "the call's deadline passed; its query was cancelled", {}, { cause: error });
      }
      if (access === "write" && sent) return outcomeUnknown("aborted", `the database did not answer within ${options.statementTimeoutMs} ms`, error);
      if (!sent) return new LearnerStateError("unavailable", "STORE_UNAVAILABLE", "no database connection could be had in time; retry later", {}, { cause: error });
      return new LearnerStateError("unavailable", "STORE_TIMEOUT", `the database did not answer within ${options.statementTimeoutMs} ms; retry later`, {}, { cause: error });
    }
    const translated = translateDriverError(error);
    // A read-only server answered that it refused the write: nothing happened.
    if (translated instanceof LearnerStateError && translated.kind === "unavailable" && translated.reason !== "STORE_READ_ONLY") {
      return access === "write" && sent ? outcomeUnknown("aborted", "the connection to the database was lost", error) : translated;
    }
    return translated;
  }

  async function runGuarded<T>(call: CallLimits, access: WorkAccess, work: (bounds: WorkBounds) => Promise<T>): Promise<T> {
    const remainingMs = call.deadlineMs === null ? Number.POSITIVE_INFINITY : call.deadlineMs - Date.now();
    if (remainingMs <= 0) throw new LearnerStateError("deadline-exceeded", "DEADLINE_EXCEEDED", "the call's deadline passed before the database was asked");
    const clientBound = remainingMs < options.statementTimeoutMs;
    const timeoutMs = Math.max(1, Math.floor(Math.min(remainingMs, options.statementTimeoutMs)));
    try {
      return await breaker.execute(async () => {
        let sent = false;
        let timer: NodeJS.Timeout | undefined;
        let stopWaiting: ((error: HeldOff) => void) | undefined;
        const running = work({ timeoutMs, sent: () => (sent = true) });
        // Settles after the caller was answered when the timer or a hold won: nothing waits for it.
        running.catch(() => undefined);
        try {
          return await Promise.race([
            running,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new BoundPassed(`no answer within ${timeoutMs} ms`)), clientBound ? timeoutMs - answerAheadMs(timeoutMs) : timeoutMs + timerSlackMs);
              stopWaiting = reject;
              waiting.add(reject);
            }),
          ]);
        } catch (error) {
          throw classify(error, access, sent, clientBound);
        } finally {
          clearTimeout(timer);
          if (stopWaiting !== undefined) waiting.delete(stopWaiting);
        }
      });
    } catch (error) {
      if (!(error instanceof BrokenCircuitError)) throw error;
      const held = holds.values().next().value;
      if (held !== undefined) throw new LearnerStateError("unavailable", held.reason, held.message, { retryAfterMs: String(held.retryAfterMs) });
      const retryAfterMs = Math.max(0, openedAt + options.halfOpenAfterMs - Date.now());
      throw new LearnerStateError("unavailable", "STORE_UNAVAILABLE", "the state database is unavailable (circuit open); retry later", {
        retryAfterMs: String(retryAfterMs),
      });
    }
  }

  return {
    async run(call, access, work) {
      const leave = await admission.enter(call);
      try {
        return await runGuarded(call, access, work);
      } finally {
        leave();
      }
    },
    state: () => stateNames[breaker.state],
    onStateChange(listener) {
      const subscription = breaker.onStateChange((state) => listener(stateNames[state]));
      return () => subscription.dispose();
    },
    hold(hold, reason, message, retryAfterMs) {
      holds.set(hold, { reason, message, retryAfterMs });
      isolation ??= breaker.isolate();
      // Calls already waiting are answered now rather than at their deadline.
      for (const stop of [...waiting]) stop(new HeldOff(message.replace(/; retry later$/u, "")));
    },
    release(hold) {
      if (!holds.delete(hold) || holds.size > 0 || isolation === null) return;
      isolation.dispose();
      isolation = null;
    },
  };
}

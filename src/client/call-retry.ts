import { ExponentialBackoff, type IBackoff } from "cockatiel";
import { Code } from "@connectrpc/connect";
import { refusedStream, type LearnerStateError } from "./errors.js";

/**
 * How calls ride out a server that turned them away before doing anything:
 * OVERLOADED (the server is at capacity) and UNAVAILABLE. Retries wait for
 * the server's retry hint, or longer: exponential back-off with jitter. A
 * budget shared by the client's calls (gRPC's retry throttling, gRFC A6)
 * stops retrying while most calls fail, so that retries never multiply the
 * load of a server that is already overloaded.
 */
export interface RetryPolicy {
  /** Attempts of one call at most, the first included; default 4. 1 turns retries off. */
  readonly maxAttempts?: number;
  /** First back-off delay in milliseconds, doubled (with jitter) up to `maxDelayMs`; default 50. */
  readonly initialDelayMs?: number;
  /** Longest back-off delay in milliseconds; default 2,000. */
  readonly maxDelayMs?: number;
  /**
   * The retry budget's tokens; default 10. Each call that fails in a way that
   * may be retried spends one, each call that succeeds earns back
   * `budgetTokenRatio` (default 0.1), and calls are retried only while more
   * than half are left.
   */
  readonly budgetTokens?: number;
  readonly budgetTokenRatio?: number;
}

// Methods that only read: retrying them is safe whatever broke, even a
// connection that dropped after the request left.
const readingMethod = /^(Get|List|Describe|Is|IterAll)/u;

/**
 * Whether `error` says that the call it ended did nothing, so that it may be
 * sent again. OVERLOADED and the service's UNAVAILABLE (which always carries
 * a reason) are answered before any work, and so is a stream the server
 * refused (HTTP/2's REFUSED_STREAM). An UNAVAILABLE without a reason
 * otherwise comes from the connection, when a write may already have reached
 * the server: only reads are retried then.
 */
export function isSafeToRetry(error: LearnerStateError, methodName: string): boolean {
  if (error.code === Code.ResourceExhausted) return error.reason === "OVERLOADED";
  if (error.code !== Code.Unavailable) return false;
  return error.reason !== undefined || refusedStream.test(error.rawMessage) || readingMethod.test(methodName);
}

/** A client's retry budget and back-off, shared by all its calls. */
export interface CallRetry {
  /**
   * Runs `attempt` until it succeeds, fails in a way that is not safe to
   * retry, runs out of attempts, or the budget says stop; throws the last
   * error. `signal` (the caller's) stops the waiting.
   */
  run<T>(methodName: string, attempt: () => Promise<T>, signal: AbortSignal | undefined): Promise<T>;
  /** Whether a call that failed with `error` may be sent again now (the budget permitting); counts the failure. */
  mayRetry(error: LearnerStateError, methodName: string, attempts: number): boolean;
  /** Counts a call that succeeded towards the budget. */
  succeeded(): void;
  /** The delay before attempt `attempts + 1`, given the previous delay. */
  delayAfter(error: LearnerStateError, previous: IBackoff<unknown> | undefined): IBackoff<unknown>;
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Creates the retry state of one client. */
export function createCallRetry(policy: RetryPolicy = {}): CallRetry {
  const maxAttempts = policy.maxAttempts ?? 4;
  const maxTokens = policy.budgetTokens ?? 10;
  const tokenRatio = policy.budgetTokenRatio ?? 0.1;
  const backoff = new ExponentialBackoff({ initialDelay: policy.initialDelayMs ?? 50, maxDelay: policy.maxDelayMs ?? 2_000 });
  let tokens = maxTokens;

  const retry: CallRetry = {
    mayRetry(error, methodName, attempts) {
      if (!isSafeToRetry(error, methodName)) return false;
      tokens = Math.max(0, tokens - 1);
      return attempts < maxAttempts && tokens > maxTokens / 2;
    },
    succeeded() {
      tokens = Math.min(maxTokens, tokens + tokenRatio);
    },
    delayAfter(error, previous) {
      const next = previous === undefined ? backoff.next() : previous.next(undefined);
      return { duration: Math.max(next.duration, error.retryDelayMs ?? 0), next: next.next.bind(next) };
    },
    async run(methodName, attempt, signal) {
      let delay: IBackoff<unknown> | undefined;
      for (let attempts = 1; ; attempts += 1) {
        try {
          const result = await attempt();
          retry.succeeded();
          return result;
        } catch (error) {
          const failure = error as LearnerStateError;
          if (signal?.aborted || !retry.mayRetry(failure, methodName, attempts)) throw failure;
          delay = retry.delayAfter(failure, delay);
          await sleep(delay.duration, signal);
        }
      }
    },
  };
  return retry;
}

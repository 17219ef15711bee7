import { ExponentialBackoff, type IBackoff } from "cockatiel";
import { Code } from "@connectrpc/connect";
import { sleep } from "./call-retry.js";
import { learnerStateErrorOf } from "./errors.js";

/**
 * How a resumable stream (IterAll*, WatchChanges) rides out UNAVAILABLE and
 * broken connections: tries after a failure without progress, and the delays
 * between them. There is no limit on a stream's total duration.
 */
export interface ResumePolicy {
  /** Consecutive failed attempts (no message in between) before the error reaches the caller; default 8. */
  readonly maxAttempts?: number;
  /** First delay in milliseconds, doubled (with jitter) up to `maxDelayMs`; default 100. */
  readonly initialDelayMs?: number;
  /** Longest delay in milliseconds; default 5,000. */
  readonly maxDelayMs?: number;
}

/** A message of a resumable stream: each carries the token that continues right after it. */
interface Resumable {
  readonly resumeToken: string;
}

/**
 * Whether `error` is connect-node's UNKNOWN for a response that ended
 * without a status because its connection closed (Node's
 * ERR_STREAM_PREMATURE_CLOSE, somewhere in its causes): what a server killed
 * mid-stream can look like, when its socket closes rather than resets.
 */
function endedUnderTheCall(error: Error): boolean {
  if ((error as { code?: unknown }).code !== Code.Unknown) return false;
  for (let cause: unknown = error.cause; cause instanceof Error; cause = cause.cause) {
    if ((cause as { code?: unknown }).code === "ERR_STREAM_PREMATURE_CLOSE") return true;
  }
  return false;
}

/**
 * The messages of `open(firstToken)` and, whenever the stream fails with
 * UNAVAILABLE, OVERLOADED, ABORTED, a CANCELED the caller did not ask for or
 * a connection closed under the call, of
 * `open(last token received)` after a back-off: the caller
 * sees every message once, in order, as if nothing had failed. Other errors,
 * and those after `maxAttempts` tries without a message, are thrown as
 * LearnerStateErrors (OUT_OF_RANGE, a token WatchChanges can no longer
 * honour, as ChangeFeedLost). The server's RetryInfo, when longer, sets the
 * delay.
 */
export async function* resumeOnUnavailable<Message extends Resumable>(
  open: (resumeToken: string) => AsyncIterable<Message>,
  firstToken: string,
  policy: ResumePolicy = {},
  signal?: AbortSignal,
): AsyncGenerator<Message> {
  const maxAttempts = policy.maxAttempts ?? 8;
  const backoff = new ExponentialBackoff({ initialDelay: policy.initialDelayMs ?? 100, maxDelay: policy.maxDelayMs ?? 5_000 });
  let token = firstToken;
  let failures = 0;
  let delay: IBackoff<unknown> | undefined;
  for (;;) {
    try {
      for await (const message of open(token)) {
        token = message.resumeToken;
        failures = 0;
        delay = undefined;
        yield message;
      }
      return;
    } catch (thrown) {
      const error = learnerStateErrorOf(thrown);
      // The stream only reads, so rereading from the last token is safe
      // whatever broke: the service or its database (UNAVAILABLE), or the
      // connection itself (connect-node reports a reset socket as ABORTED,
      // a stream the dying connection cancelled as CANCELED, and a
      // connection closed before the call's status as UNKNOWN; a
      // cancellation the caller asked for is not retried).
      const brokenConnection = error.code === Code.Aborted || (error.code === Code.Canceled && signal?.aborted !== true) || endedUnderTheCall(error);
      const overloaded = error.code === Code.ResourceExhausted && error.reason === "OVERLOADED";
      const retriable = error.code === Code.Unavailable || overloaded || brokenConnection;
      failures += 1;
      if (!retriable || failures >= maxAttempts || signal?.aborted) throw error;
      delay = delay === undefined ? backoff.next() : delay.next(undefined);
      await sleep(Math.max(delay.duration, error.retryDelayMs ?? 0), signal);
    }
  }
}

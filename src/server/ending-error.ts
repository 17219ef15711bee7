import { Code, ConnectError } from "@connectrpc/connect";

/** What {@link endingError} reads of a call's AbortSignal. */
export interface CallSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

// Node's errors for writing to an HTTP/2 stream the client has already reset.
const streamGoneCodes = new Set(["ERR_STREAM_DESTROYED", "ERR_HTTP2_STREAM_ERROR", "ERR_HTTP2_INVALID_STREAM", "ERR_STREAM_PREMATURE_CLOSE", "ABORT_ERR"]);

function streamGone(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && streamGoneCodes.has(code);
}

/**
 * The error a call ended with, as logs and metrics report it. A call whose
 * client went away (it cancelled, disconnected, or its deadline passed) fails
 * with whatever the half-finished work threw, often "The stream has been
 * destroyed"; that is the client's doing, not a fault of ours, so it is
 * CANCELED (or DEADLINE_EXCEEDED when the deadline ended it), never UNKNOWN
 * or INTERNAL. Errors with a code of their own keep it.
 */
export function endingError(error: unknown, signal: CallSignal): ConnectError {
  const thrown = ConnectError.from(error);
  const ourOwn = thrown.code !== Code.Unknown && thrown.code !== Code.Internal && thrown.code !== Code.Canceled;
  if (ourOwn || (!signal.aborted && !streamGone(error) && thrown.code !== Code.Canceled)) return thrown;
  const byDeadline = signal.aborted && ConnectError.from(signal.reason).code === Code.DeadlineExceeded;
  const code = byDeadline ? Code.DeadlineExceeded : Code.Canceled;
  return new ConnectError(byDeadline ? "the call's deadline passed" : "the client went away before the call ended", code, thrown.metadata, undefined, error);
}

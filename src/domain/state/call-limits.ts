/**
 * What the caller allows one call: until when it waits and whether it still
 * waits. The store bounds its database work by these, so a client's gRPC
 * deadline also cancels the query it started.
 */
export interface CallLimits {
  /** Epoch milliseconds after which the caller no longer waits; null for no deadline. */
  readonly deadlineMs: number | null;
  /** Aborted when the caller goes away (disconnect, cancel, server shutdown). */
  readonly signal: AbortSignal | null;
}

/** The limits of the server's own background work (shared readers, signals, retention): no deadline, never cancelled by a caller. */
export const backgroundWork: CallLimits = { deadlineMs: null, signal: null };

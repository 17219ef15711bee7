import type { HandlerContext } from "@connectrpc/connect";
import type { CallLimits } from "../domain/state/index.js";

/** The client's deadline and cancellation, as the domain sees them. */
export function callLimitsOf(context: HandlerContext): CallLimits {
  const timeoutMs = context.timeoutMs();
  return { deadlineMs: timeoutMs === undefined ? null : Date.now() + timeoutMs, signal: context.signal };
}

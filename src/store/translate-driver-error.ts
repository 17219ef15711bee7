import { LearnerStateError } from "../domain/errors.js";

// SQLSTATE classes and codes that mean "the database is not there right now",
// as opposed to "this statement is wrong".
const unavailableSqlStates = new Set([
  "57P01", // admin_shutdown: the backend was terminated (pg_terminate_backend, server stop)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: the server is starting up or shutting down
  "53300", // too_many_connections
  // serialization_failure: what a hot standby answers when it cancels a read
  // that conflicts with replay; the transaction was rolled back.
  "40001",
]);
const unavailableNodeCodes = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENOTFOUND"]);
const unavailableMessages = [
  "Connection terminated", // pg: the server closed the socket mid-query
  "timeout exceeded when trying to connect", // pg pool
  "Knex: Timeout acquiring a connection", // knex pool
  "Client has encountered a connection error",
];

function codeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** The error itself and every `cause` and driver error behind it. */
function* chain(error: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  for (let current = error; current !== undefined && current !== null && !seen.has(current); ) {
    seen.add(current);
    yield current;
    const next: unknown = (current as { cause?: unknown; previous?: unknown }).cause ?? (current as { previous?: unknown }).previous;
    current = next;
  }
}

/**
 * Turns whatever the driver threw into a {@link LearnerStateError} where its
 * meaning is known: unreachable database → "unavailable" (STORE_UNAVAILABLE),
 * a write refused by a read-only server (a primary demoted by a failover, or
 * a standby: SQLSTATE 25006) → "unavailable" (STORE_READ_ONLY), a deadlock
 * PostgreSQL broke by rolling the statement back (40P01) → "aborted"
 * (WRITE_CONFLICT),
 * data PostgreSQL refuses to store (SQLSTATE class 22, or nesting too deep for
 * its stack) → "invalid-argument" (VALUE_REJECTED_BY_DATABASE). Anything else
 * is returned unchanged and ends up as INTERNAL. The driver's text is kept as
 * the cause, never put in the message.
 */
export function translateDriverError(error: unknown): unknown {
  if (error instanceof LearnerStateError) return error;
  for (const link of chain(error)) {
    const code = codeOf(link);
    const message = link instanceof Error ? link.message : "";
    if (
      (code !== undefined && (unavailableSqlStates.has(code) || code.startsWith("08") || unavailableNodeCodes.has(code))) ||
      unavailableMessages.some((text) => message.includes(text))
    ) {
      return new LearnerStateError("unavailable", "STORE_UNAVAILABLE", "the state database is unavailable; retry later", {}, { cause: error });
    }
    if (code === "40P01") {
      return new LearnerStateError(
        "aborted",
        "WRITE_CONFLICT",
        "the write conflicted with a concurrent one (a deadlock, which the database broke by rolling this one back); nothing was applied: retry",
        {},
        { cause: error },
      );
    }
    if (code === "25006") {
      return new LearnerStateError("unavailable", "STORE_READ_ONLY", "the database server is read-only (a failover is under way); retry later", {}, { cause: error });
    }
    if (code === "LS413") {
      // Raised by learnerstate_refuse_large_state: detail = usage key, hint = "size/max".
      const key = String((link as { detail?: unknown }).detail ?? "");
      const [size = "", max = ""] = String((link as { hint?: unknown }).hint ?? "").split("/");
      return new LearnerStateError("resource-exhausted", "STATE_TOO_LARGE", `updates: the state of ${key} would be ${size} bytes after the merge; at most ${max} are allowed`, {
        field: "updates",
        key,
        bytes: size,
        max,
      }, { cause: error });
    }
    if (code !== undefined && (code.startsWith("22") || code === "54001")) {
      return new LearnerStateError("invalid-argument", "VALUE_REJECTED_BY_DATABASE", "the database refused a value of this request", { sqlState: code }, {
        cause: error,
      });
    }
  }
  return error;
}

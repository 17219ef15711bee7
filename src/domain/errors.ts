/**
 * What kind of failure a domain error is. The RPC layer maps each kind to one
 * gRPC code; nothing below it knows about gRPC.
 */
export type ErrorKind =
  | "invalid-argument"
  | "not-found"
  | "unavailable"
  | "resource-exhausted"
  | "deadline-exceeded"
  | "unauthenticated"
  | "permission-denied";

/**
 * The one error type the domain and the store raise on purpose. `reason` is
 * the stable AIP-193 reason (UPPER_SNAKE, listed in docs/errors.md); `metadata`
 * holds every variable of the message under lowerCamel keys.
 */
export class LearnerStateError extends Error {
  override readonly name = "LearnerStateError";
  constructor(
    readonly kind: ErrorKind,
    readonly reason: string,
    message: string,
    readonly metadata: Readonly<Record<string, string>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A request field that is malformed; `field` is its proto path, e.g. `updates[2].fields["x"]`. */
export function invalidArgument(
  reason: string,
  field: string,
  message: string,
  metadata: Record<string, string> = {},
): LearnerStateError {
  return new LearnerStateError("invalid-argument", reason, `${field}: ${message}`, { field, ...metadata });
}

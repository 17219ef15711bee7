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
  | "aborted"
  | "out-of-range"
  | "failed-precondition"
  | "unauthenticated"
  | "permission-denied";

// Messages and metadata travel in HTTP/2 trailers, whose size is limited: a
// request naming a 100 KB field must not turn its own rejection into a
// transport error. Both are clipped.
const maxMessageLength = 1000;
const maxMetadataValueLength = 200;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/**
 * The one error type the domain and the store raise on purpose. `reason` is
 * the stable AIP-193 reason (UPPER_SNAKE, listed in docs/errors.md); `metadata`
 * holds every variable of the message under lowerCamel keys.
 */
export class LearnerStateError extends Error {
  override readonly name = "LearnerStateError";
  readonly metadata: Readonly<Record<string, string>>;

  constructor(
    readonly kind: ErrorKind,
    readonly reason: string,
    message: string,
    metadata: Readonly<Record<string, string>> = {},
    options?: { cause?: unknown },
  ) {
    super(clip(message, maxMessageLength), options);
    this.metadata = Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, clip(value, maxMetadataValueLength)]));
  }
}

/**
 * A request field that is malformed; `field` is its proto path, e.g.
 * `updates[2].fields["x"]`. Message and metadata are clipped (see above).
 */
export function invalidArgument(
  reason: string,
  field: string,
  message: string,
  metadata: Record<string, string> = {},
): LearnerStateError {
  return new LearnerStateError("invalid-argument", reason, `${field}: ${message}`, { field, ...metadata });
}

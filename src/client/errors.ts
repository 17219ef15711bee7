import { Code, ConnectError } from "@connectrpc/connect";
import { StateChangedDetailSchema } from "../../gen/learnerstate/v1/user_state_pb.js";
import { errorDetailsOf, type ErrorInfo } from "./error-details.js";

/**
 * A failed call to learnerstate: a ConnectError (so `code`, `rawMessage` and
 * `details` are all there) with the server's ErrorInfo read out. Match on
 * `reason` (docs/errors.md lists them), not on the message. Subclasses
 * mirror the exceptions of Open edX's `XBlockUserStateClient`.
 */
export class LearnerStateError extends ConnectError {
  // ConnectError answers `instanceof` for anything shaped like one (so that
  // copies of the library agree), which would make every ConnectError a
  // DoesNotExist. These classes go by the prototype chain. `name` stays
  // "ConnectError", which is how ConnectError recognises its subclasses.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /** The stable ErrorInfo reason, such as `STATE_NOT_FOUND`; undefined when the error carried none (a refused connection, say). */
  readonly reason: string | undefined;
  /** ErrorInfo's metadata (`field` names the request field at fault); empty when absent. */
  readonly errorMetadata: Readonly<Record<string, string>>;
  /** How long the server asked callers to wait before retrying (RetryInfo), in milliseconds. */
  readonly retryDelayMs: number | undefined;

  constructor(error: ConnectError, info: ErrorInfo | undefined, retryDelayMs: number | undefined) {
    super(error.rawMessage, error.code, error.metadata, undefined, error);
    this.details = error.details;
    this.reason = info?.reason;
    this.errorMetadata = info?.metadata ?? {};
    this.retryDelayMs = retryDelayMs;
  }
}

/** NOT_FOUND: the state, history, course or structure asked for does not exist. */
export class DoesNotExist extends LearnerStateError {
}

/** PERMISSION_DENIED, or UNAUTHENTICATED (no valid token); `code` tells the two apart. Nothing was changed. */
export class PermissionDenied extends LearnerStateError {
}

/**
 * UNAVAILABLE (no server, or the database is down: nothing happened and a
 * retry is safe) or DEADLINE_EXCEEDED.
 */
export class ServiceUnavailable extends LearnerStateError {
}

/**
 * RESOURCE_EXHAUSTED with reason OVERLOADED: the server was at capacity and
 * turned the call away before doing anything, so a retry after
 * `retryDelayMs` is safe (the client retries by itself; see RetryPolicy). A
 * ServiceUnavailable, as callers that catch that expect.
 */
export class Overloaded extends ServiceUnavailable {
}

/**
 * A write the database was sent but never answered (ABORTED, or
 * DEADLINE_EXCEEDED, with reason OUTCOME_UNKNOWN): it may or may not have
 * been applied. Read before writing again.
 */
export class OutcomeUnknown extends ServiceUnavailable {
}

/**
 * ABORTED with reason STATE_CHANGED: a write's precondition (an etag, or
 * "absent") did not hold, so nothing of the call was written. Read the
 * state again and retry. Not a ServiceUnavailable: the outcome is known.
 */
export class StateChanged extends LearnerStateError {
  /**
   * Block key (spelled as the request spelled it) to the current etag of
   * each block whose precondition failed; "" when its state does not exist
   * (never written, or deleted). At most 100 blocks (`changedCount` says how
   * many failed); empty if the server attached no StateChangedDetail.
   */
  readonly currentEtags: ReadonlyMap<string, string>;
  /** How many blocks' preconditions failed (ErrorInfo's `changedCount`); may exceed `currentEtags.size`. */
  readonly changedCount: number;

  constructor(error: ConnectError, info: ErrorInfo | undefined, retryDelayMs: number | undefined) {
    super(error, info, retryDelayMs);
    // findDetails skips a detail that does not decode, rather than hiding the error.
    const [detail] = this.findDetails(StateChangedDetailSchema);
    this.currentEtags = new Map((detail?.currentEtags ?? []).map((current) => [current.blockKey, current.etag]));
    const counted = Number.parseInt(this.errorMetadata["changedCount"] ?? "", 10);
    this.changedCount = Number.isNaN(counted) ? this.currentEtags.size : counted;
  }
}

/**
 * OUT_OF_RANGE, which only WatchChanges answers: the resume token can no
 * longer be honoured (changes after it may be missing), and resuming again
 * will not help. Read the state again (IterAllForCourse) and watch from now
 * (an empty token). `reason` says why; the subclasses ChangeFeedExpired and
 * ChangeFeedPositionUnknown match the two reasons the service sends.
 */
export class ChangeFeedLost extends LearnerStateError {
}

/**
 * Reason CHANGE_FEED_EXPIRED: the feed's retention removed changes after the
 * token (the server keeps them CHANGE_FEED_RETENTION_SECONDS, 7 days by
 * default). Keep the tokens of messages without changes too, so that a
 * quiet feed does not age a consumer's position.
 */
export class ChangeFeedExpired extends ChangeFeedLost {
}

/**
 * Reason CHANGE_FEED_POSITION_UNKNOWN: the token names transactions this
 * database never had (a failover that lost committed transactions, or a
 * token of another deployment's database).
 */
export class ChangeFeedPositionUnknown extends ChangeFeedLost {
}

/** INVALID_ARGUMENT: the request was refused as malformed and nothing was changed; `errorMetadata.field` names the field. */
export class InvalidArgument extends LearnerStateError {
}

/** RESOURCE_EXHAUSTED: a value, state or message larger than the service allows; nothing was changed. */
export class ResourceExhausted extends LearnerStateError {
}

/** FAILED_PRECONDITION: the call cannot be made in the current state (a catalog course with runs, say); nothing was changed. */
export class FailedPrecondition extends LearnerStateError {
}

type ErrorClass = new (error: ConnectError, info: ErrorInfo | undefined, retryDelayMs: number | undefined) => LearnerStateError;

const classOfCode: ReadonlyMap<Code, ErrorClass> = new Map<Code, ErrorClass>([
  [Code.NotFound, DoesNotExist],
  [Code.PermissionDenied, PermissionDenied],
  [Code.Unauthenticated, PermissionDenied],
  [Code.Unavailable, ServiceUnavailable],
  [Code.DeadlineExceeded, ServiceUnavailable],
  [Code.Aborted, OutcomeUnknown],
  [Code.InvalidArgument, InvalidArgument],
  [Code.ResourceExhausted, ResourceExhausted],
  [Code.FailedPrecondition, FailedPrecondition],
  [Code.OutOfRange, ChangeFeedLost],
]);

/** Whether `message` reports an HTTP/2 stream the server refused (RST_STREAM REFUSED_STREAM): never processed, safe to retry. */
export const refusedStream = /REFUSED_STREAM/u;

const classOfReason: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>([
  ["OUTCOME_UNKNOWN", OutcomeUnknown],
  ["OVERLOADED", Overloaded],
  ["STATE_CHANGED", StateChanged],
  // A deadlock the database broke by rolling the write back: nothing was applied.
  ["WRITE_CONFLICT", ServiceUnavailable],
  ["CHANGE_FEED_EXPIRED", ChangeFeedExpired],
  ["CHANGE_FEED_POSITION_UNKNOWN", ChangeFeedPositionUnknown],
]);

/** `thrown` as the LearnerStateError subclass of its code (anything that is not a ConnectError becomes one first). */
export function learnerStateErrorOf(thrown: unknown): LearnerStateError {
  if (thrown instanceof LearnerStateError) return thrown;
  let error = ConnectError.from(thrown);
  // HTTP/2's REFUSED_STREAM (a server lowering its concurrent calls under
  // load) means the call was not processed: gRPC calls it UNAVAILABLE, but
  // connect-node reports some as INTERNAL.
  if (error.code === Code.Internal && refusedStream.test(error.rawMessage)) error = new ConnectError(error.rawMessage, Code.Unavailable, error.metadata, undefined, error);
  const { errorInfo, retryDelayMs } = errorDetailsOf(error);
  const errorClass = classOfReason.get(errorInfo?.reason ?? "") ?? classOfCode.get(error.code) ?? LearnerStateError;
  return new errorClass(error, errorInfo, retryDelayMs);
}

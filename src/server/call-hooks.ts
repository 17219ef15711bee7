import { randomUUID } from "node:crypto";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import type { Logger } from "pino";
import { decide, describePrincipal, erasesLearnerData, type Principal, type TokenVerifier } from "../auth/index.js";
import { LearnerStateError } from "../domain/errors.js";
import { accessOfCall, isGuarded } from "../rpc/access-of-call.js";
import { observeRequest, observeResponse } from "./call-figures.js";
import { endingError, type CallSignal } from "./ending-error.js";
import type { Metrics } from "./metrics.js";
import type { CallSpan, CallSpans } from "./tracing.js";

/** The id of the current call: the caller's `x-request-id`, or one made up here. */
export const requestIdKey = createContextKey<string>("", { description: "learnerstate request id" });

// Ids travel into logs and headers: accept only short, plain ones.
const acceptableRequestId = /^[\w.:\-]{1,128}$/u;

/** A call as the hooks see it, whichever protocol carried it. */
export interface CallStart {
  readonly method: DescMethod;
  /** A request header by lower-case name; null when absent. */
  header(name: string): string | null;
}

/** What the server does around one call, whichever protocol carried it. */
export interface CallRecord {
  /** The call's request id, to echo in the response headers (or an error's trailers). */
  readonly requestId: string;
  /**
   * Lets the call go on with `message`, its request (undefined for calls that
   * stream requests): authenticates it, asks the policy, writes the audit
   * record, and counts the request's figures. Throws (or rejects with) the
   * LearnerStateError (UNAUTHENTICATED, PERMISSION_DENIED) the client must
   * get otherwise; undefined when there was nothing to wait for. Asked after
   * {@link shed}.
   */
  admit(message: unknown): Promise<void> | undefined;
  /**
   * The OVERLOADED error for a call that needs the database while the server
   * is at capacity, asked before its request is read (the cheapest refusal);
   * null when it may go on.
   */
  shed(): Error | null;
  /** Counts the figures of a response message. */
  responded(message: unknown, streamed: boolean): void;
  /**
   * Ends the call, once: logs it, counts it, ends its span. `error` is what
   * it failed with, domain errors already mapped (see toConnectError); null
   * when it succeeded. `signal` is the call's, which tells a client that went
   * away from a fault of ours.
   */
  ended(error: unknown, signal: CallSignal): void;
}

/** Starts the record of a call. */
export type CallHooks = (call: CallStart) => CallRecord;

/** What the hooks need. */
export interface CallHooksOptions {
  readonly logger: Logger;
  /** Where audit records go. */
  readonly audit: Logger;
  readonly metrics: Metrics;
  /** Null: development mode, every caller is trusted. */
  readonly verifier: TokenVerifier | null;
  /** Null: tracing is off. */
  readonly spans: CallSpans | null;
  /** The error that refuses a new call needing the database at once when the server is at capacity (OVERLOADED); null when it may go on. */
  readonly turnAway: () => Error | null;
}

/**
 * The work every call gets, written once for the Connect adapter and the
 * gRPC path alike: a request id (the caller's `x-request-id` when acceptable);
 * OVERLOADED at once, before the request is read, for a call that needs the
 * database while the server is at capacity (work-admission.ts); authentication, the policy and the audit record for each denial, each
 * allowed call that touches other learners' state, and each erasure of a
 * learner's data (administrators' too), naming the scope and filters that
 * decided it (health and reflection pass without a token); Prometheus
 * counts, durations and learner-state figures; a log line once the call has
 * answered (debug, or error with the cause for INTERNAL, the one code that
 * means a fault of ours); and a span when tracing is on.
 */
export function createCallHooks(options: CallHooksOptions): CallHooks {
  const { logger, audit, metrics, verifier, spans, turnAway } = options;

  async function authorize(method: DescMethod, message: unknown, authorization: string | null, requestId: string): Promise<void> {
    const access = accessOfCall(method, message);
    const principal: Principal = verifier === null ? { kind: "development" } : await verifier.verify(authorization);
    const decision = decide(principal, access);
    if (decision.allowed && !decision.audit) return;
    const record = {
      requestId,
      ...describePrincipal(principal),
      operation: access.operation,
      ...(access.owner.kind === "learner" ? { learner: access.owner.username } : { learners: access.owner.kind }),
      courses: access.contexts?.map((context) => context.key) ?? "unparsable",
      decidedByScope: decision.scope,
      decidedByFilters: decision.filters,
    };
    if (!decision.allowed) {
      audit.warn({ audit: "denied", ...record, reason: decision.reason }, "call denied");
      throw new LearnerStateError("permission-denied", "PERMISSION_DENIED", decision.reason, { operation: access.operation });
    }
    if (erasesLearnerData(access)) audit.info({ audit: "learner-erasure", ...record }, "erasure of a learner's data");
    else audit.info({ audit: "other-learners-data", ...record }, "access to other learners' state");
  }

  const labels = new Map<string, { readonly method: string }>();
  const labelsOf = (method: string) => {
    let label = labels.get(method);
    if (label === undefined) labels.set(method, (label = { method }));
    return label;
  };
  return (call) => new HookedCall(call, labelsOf(call.method.name), { logger, metrics, spans, authorize, turnAway });
}

/** What a {@link HookedCall} shares with every other. */
interface HookedCallShared {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly spans: CallSpans | null;
  turnAway(): Error | null;
  authorize(method: DescMethod, message: unknown, authorization: string | null, requestId: string): Promise<void>;
}

// A class rather than a closure per hook: one allocation per call on the
// path every call takes.
class HookedCall implements CallRecord {
  readonly requestId: string;
  private readonly started = performance.now();
  private readonly span: CallSpan | null;
  private done = false;

  constructor(
    private readonly call: CallStart,
    private readonly label: { readonly method: string },
    private readonly shared: HookedCallShared,
  ) {
    const given = call.header("x-request-id");
    this.requestId = given !== null && acceptableRequestId.test(given) ? given : randomUUID();
    shared.metrics.requests.inc(label);
    this.span = shared.spans?.start(call) ?? null;
  }

  admit(message: unknown): Promise<void> | undefined {
    if (message !== undefined) observeRequest(this.shared.metrics, this.label.method, message);
    if (!isGuarded(this.call.method)) return undefined;
    return this.shared.authorize(this.call.method, message, this.call.header("authorization"), this.requestId);
  }

  shed(): Error | null {
    return isGuarded(this.call.method) ? this.shared.turnAway() : null;
  }

  responded(message: unknown, streamed: boolean): void {
    observeResponse(this.shared.metrics, this.label.method, message, streamed);
  }

  ended(error: unknown, signal: CallSignal): void {
    if (this.done) return;
    this.done = true;
    const { logger, metrics } = this.shared;
    const seconds = (performance.now() - this.started) / 1000;
    metrics.duration.observe(this.label, seconds);
    if (error === null) {
      if (logger.isLevelEnabled("debug")) logger.debug(this.logFields(seconds), "call answered");
      this.span?.end(null);
      return;
    }
    const ending = endingError(error, signal);
    // Anything that is not a wire error of ours reaches the client as INTERNAL.
    const code = ending.code === Code.Unknown ? Code.Internal : ending.code;
    metrics.errors.inc({ method: this.label.method, code: Code[code] });
    if (code === Code.Internal) logger.error({ ...this.logFields(seconds), code: Code[code], err: ending.cause ?? error }, "call failed");
    else logger.debug({ ...this.logFields(seconds), code: Code[code], message: ending.rawMessage }, "call refused");
    this.span?.end(ending);
  }

  private logFields(seconds: number) {
    return { requestId: this.requestId, method: `${this.call.method.parent.typeName}/${this.label.method}`, ms: Math.round(seconds * 1000) };
  }
}

/**
 * The error a client gets for `error` (thrown by a handler or the hooks, domain
 * errors already mapped): wire errors as they are, anything else as INTERNAL
 * without its text (the cause is kept for the log); with the request id.
 */
export function errorForClient(error: unknown, requestId: string): ConnectError {
  const connectError = error instanceof ConnectError ? error : new ConnectError("internal error", Code.Internal, undefined, undefined, error);
  connectError.metadata.set("x-request-id", requestId);
  return connectError;
}

import type { Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { decide, describePrincipal, erasesLearnerData, type Principal, type TokenVerifier } from "../auth/index.js";
import { LearnerStateError } from "../domain/errors.js";
import { accessOfCall, isGuarded } from "../rpc/access-of-call.js";
import { requestIdKey } from "./log-interceptor.js";

async function* once<T>(message: T): AsyncIterable<T> {
  yield message;
}

/**
 * Authenticates every call to a learnerstate service (a null verifier means
 * development mode: every caller is trusted), asks the policy, and writes an
 * audit record for each denial, each allowed call that touches other
 * learners' state, and each erasure of a learner's data (administrators'
 * too), naming the scope and filters that decided it. Health and reflection
 * pass without a token.
 */
export function createAuthInterceptor(verifier: TokenVerifier | null, audit: Logger): Interceptor {
  return (next) => async (request) => {
    if (!isGuarded(request.method)) return next(request);
    // Server-streaming calls carry their single request as a stream: read it
    // here and hand it on unchanged.
    const message = request.stream ? await firstOf(request.message) : request.message;
    const access = accessOfCall(request.method, message);
    const forward = () => (request.stream ? next({ ...request, message: once(message) }) : next(request));

    const requestId = request.contextValues.get(requestIdKey);
    const principal: Principal = verifier === null ? { kind: "development" } : await verifier.verify(request.header.get("authorization"));
    const decision = decide(principal, access);
    if (decision.allowed && !decision.audit) return forward();
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
    if (decision.audit && erasesLearnerData(access)) audit.info({ audit: "learner-erasure", ...record }, "erasure of a learner's data");
    else if (decision.audit) audit.info({ audit: "other-learners-data", ...record }, "access to other learners' state");
    return forward();
  };
}

async function firstOf<T>(messages: AsyncIterable<T>): Promise<T> {
  for await (const message of messages) return message;
  throw new LearnerStateError("invalid-argument", "MISSING_REQUEST", "the call carried no request message");
}

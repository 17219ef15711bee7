import { randomUUID } from "node:crypto";
import { Code, createContextKey, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { endingError } from "./ending-error.js";
import { onCallEnd } from "./on-call-end.js";

/** The id of the current call: the caller's `x-request-id`, or one made up here. */
export const requestIdKey = createContextKey<string>("", { description: "learnerstate request id" });

// Ids travel into logs and headers: accept only short, plain ones.
const acceptableRequestId = /^[\w.:\-]{1,128}$/u;

/**
 * Gives every call a request id (propagated from `x-request-id` metadata when
 * present, and echoed in the response headers) and logs the call once it has
 * answered (for a stream, after its last message): method, code and duration
 * at debug level, and at error level with the cause for INTERNAL, the one
 * code that means a fault of ours.
 */
export function createLogInterceptor(logger: Logger): Interceptor {
  return (next) => async (request) => {
    const given = request.header.get("x-request-id");
    const requestId = given !== null && acceptableRequestId.test(given) ? given : randomUUID();
    request.contextValues.set(requestIdKey, requestId);
    const started = performance.now();
    const method = `${request.service.typeName}/${request.method.name}`;
    const answered = () => logger.debug({ requestId, method, ms: Math.round(performance.now() - started) }, "call answered");
    const failed = (error: unknown) => {
      const connectError = endingError(error, request.signal);
      connectError.metadata.set("x-request-id", requestId);
      const fields = { requestId, method, code: Code[connectError.code], ms: Math.round(performance.now() - started) };
      if (connectError.code === Code.Internal) logger.error({ ...fields, err: connectError.cause ?? error }, "call failed");
      else logger.debug({ ...fields, message: connectError.rawMessage }, "call refused");
      return connectError;
    };
    try {
      const response = await next(request);
      response.header.set("x-request-id", requestId);
      return onCallEnd(response, answered, failed);
    } catch (error) {
      throw failed(error);
    }
  };
}

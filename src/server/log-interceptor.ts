import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";

/**
 * Logs each call once it has answered: method, code and duration at debug
 * level, and at error level with the cause for INTERNAL, the one code that
 * means a fault of ours.
 */
export function createLogInterceptor(logger: Logger): Interceptor {
  return (next) => async (request) => {
    const started = performance.now();
    const method = `${request.service.typeName}/${request.method.name}`;
    try {
      const response = await next(request);
      logger.debug({ method, ms: Math.round(performance.now() - started) }, "call answered");
      return response;
    } catch (error) {
      const connectError = ConnectError.from(error);
      const fields = { method, code: Code[connectError.code], ms: Math.round(performance.now() - started) };
      if (connectError.code === Code.Internal) logger.error({ ...fields, err: connectError.cause ?? error }, "call failed");
      else logger.debug({ ...fields, message: connectError.rawMessage }, "call refused");
      throw error;
    }
  };
}

import type { Interceptor } from "@connectrpc/connect";
import { toConnectError } from "../rpc/index.js";

async function* mapStreamErrors<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw toConnectError(error);
  }
}

/** Turns domain errors thrown by any handler, unary or mid-stream, into ConnectErrors. */
export const errorInterceptor: Interceptor = (next) => async (request) => {
  try {
    const response = await next(request);
    return response.stream ? { ...response, message: mapStreamErrors(response.message) } : response;
  } catch (error) {
    throw toConnectError(error);
  }
};

import type { ConnectError, Interceptor } from "@connectrpc/connect";
import { LearnerStateError } from "../domain/errors.js";
import { toConnectError } from "../rpc/index.js";
import { errorForClient, requestIdKey, type CallHooks, type CallRecord } from "./call-hooks.js";

async function* once<T>(message: T): AsyncIterable<T> {
  yield message;
}

async function firstOf<T>(messages: AsyncIterable<T>): Promise<T> {
  for await (const message of messages) return message;
  throw new LearnerStateError("invalid-argument", "MISSING_REQUEST", "the call carried no request message");
}

/** Ends `call` with `error` and returns what the client gets for it. */
function failed(call: CallRecord, error: unknown, signal: AbortSignal): ConnectError {
  const mapped = toConnectError(error);
  call.ended(mapped, signal);
  return errorForClient(mapped, call.requestId);
}

async function* observed<T>(messages: AsyncIterable<T>, call: CallRecord, signal: AbortSignal): AsyncIterable<T> {
  try {
    for await (const message of messages) {
      call.responded(message, true);
      yield message;
    }
  } catch (error) {
    throw failed(call, error, signal);
  }
  call.ended(null, signal);
}

/**
 * The {@link CallHooks} as one Connect interceptor, for the calls Connect's
 * adapter serves (the Connect protocol, gRPC-Web, and gRPC with JSON or
 * streamed requests). Also maps the domain's errors, unary or mid-stream, to
 * ConnectErrors.
 */
export function createHooksInterceptor(hooks: CallHooks): Interceptor {
  return (next) => async (request) => {
    const call = hooks({ method: request.method, header: (name) => request.header.get(name) });
    request.contextValues.set(requestIdKey, call.requestId);
    try {
      const refusal = call.shed();
      if (refusal !== null) throw refusal;
      let forwarded = request;
      if (!request.stream) {
        await call.admit(request.message);
      } else if (request.method.methodKind === "server_streaming") {
        // A server stream's one request comes as a stream: read it here, hand it on unchanged.
        const message = await firstOf(request.message);
        await call.admit(message);
        forwarded = { ...request, message: once(message) };
      } else {
        await call.admit(undefined);
      }
      const response = await next(forwarded);
      response.header.set("x-request-id", call.requestId);
      if (response.stream) return { ...response, message: observed(response.message, call, request.signal) };
      call.responded(response.message, false);
      call.ended(null, request.signal);
      return response;
    } catch (error) {
      throw failed(call, error, request.signal);
    }
  };
}

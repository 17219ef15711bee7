import { Code, type Interceptor } from "@connectrpc/connect";
import { figuresOfResponse, valueBytes } from "../rpc/index.js";
import { endingError } from "./ending-error.js";
import type { Metrics } from "./metrics.js";
import { onCallEnd } from "./on-call-end.js";

type Fields = Record<string, string>;

/** Learner-state figures of a request: blocks named, fields and bytes written. */
function observeRequest(metrics: Metrics, method: string, message: unknown): void {
  const request = message as { blockKeys?: unknown; blockKey?: unknown; updates?: Array<{ fields: Fields }> };
  if (Array.isArray(request.blockKeys)) metrics.blocksRequested.inc({ method }, request.blockKeys.length);
  if (typeof request.blockKey === "string" && request.blockKey !== "") metrics.blocksRequested.inc({ method }, 1);
  if (Array.isArray(request.updates)) {
    metrics.blocksRequested.inc({ method }, request.updates.length);
    for (const update of request.updates) {
      metrics.fieldsWritten.inc({ method }, Object.keys(update.fields).length);
      metrics.stateBytes.inc({ method, direction: "written" }, valueBytes(update.fields));
    }
  }
}

/** Learner-state figures of one response message: blocks returned, bytes read, rows streamed. */
function observeResponse(metrics: Metrics, method: string, message: unknown, streamed: boolean): void {
  const response = message as { entries?: unknown[]; fieldModifications?: unknown[] };
  const figures = figuresOfResponse(message);
  let rows = 0;
  if (figures !== null) {
    rows = figures.blocks;
    metrics.blocksReturned.inc({ method }, rows);
    metrics.stateBytes.inc({ method, direction: "read" }, figures.stateBytes);
  } else if (Array.isArray(response.entries)) {
    rows = response.entries.length;
  } else if (Array.isArray(response.fieldModifications)) {
    rows = response.fieldModifications.length;
  }
  if (streamed && rows > 0) metrics.rowsStreamed.inc({ method }, rows);
}

async function* tap<T>(messages: AsyncIterable<T>, observe: (message: T) => void): AsyncIterable<T> {
  for await (const message of messages) {
    observe(message);
    yield message;
  }
}

/**
 * Counts every call, its error code and its duration (to the last message of
 * a stream), and the learner-state figures carried by its messages.
 */
export function createMetricsInterceptor(metrics: Metrics): Interceptor {
  return (next) => async (request) => {
    const method = request.method.name;
    metrics.requests.inc({ method });
    const stopTimer = metrics.duration.startTimer({ method });
    const failed = (error: unknown) => {
      metrics.errors.inc({ method, code: Code[endingError(error, request.signal).code] });
      stopTimer();
      return error;
    };
    try {
      const observed = request.stream
        ? { ...request, message: tap(request.message, (message) => observeRequest(metrics, method, message)) }
        : (observeRequest(metrics, method, request.message), request);
      const response = await next(observed);
      if (!response.stream) {
        observeResponse(metrics, method, response.message, false);
        return onCallEnd(response, stopTimer, failed);
      }
      return onCallEnd({ ...response, message: tap(response.message, (message) => observeResponse(metrics, method, message, true)) }, stopTimer, failed);
    } catch (error) {
      throw failed(error);
    }
  };
}

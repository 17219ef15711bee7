import { figuresOfResponse, valueBytes } from "../rpc/index.js";
import type { Metrics } from "./metrics.js";

type Fields = Record<string, string>;

/** Counts the learner-state figures of a request: blocks named, fields and bytes written. */
export function observeRequest(metrics: Metrics, method: string, message: unknown): void {
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

/** Counts the learner-state figures of one response message: blocks returned, bytes read, rows streamed. */
export function observeResponse(metrics: Metrics, method: string, message: unknown, streamed: boolean): void {
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

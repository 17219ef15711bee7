import { create } from "@bufbuild/protobuf";
import { HistoryEntrySchema, StateSnapshotSchema } from "../../gen/learnerstate/v1/user_state_pb.js";
import { GetHistoryResponseSchema, type GetHistoryResponse } from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { boundsPerRow, splitStateJson, type StatePage } from "../domain/state/index.js";
import { answersInBinary, encodedSizes, messageBudgetBytes, runEnds } from "./block-states-response.js";
import type { StateForm } from "./block-state-encoding.js";
import { encodeHistoryPage } from "./history-entry-encoding.js";
import { recordFigures } from "./response-figures.js";
import { timestampFromMicros } from "./timestamp.js";
import { onLastOf, recordWireBytes } from "./wire-bytes.js";

/** Builds the GetHistory messages of one page of history: at most the call's batch size of entries each, within the byte budget. */
export type HistoryResponder = (page: StatePage) => GetHistoryResponse[];

/**
 * The responder of one GetHistory call for `blockKey` (the key as the caller
 * gave it). Binary answers are encoded from the page's bytes
 * (history-entry-encoding.ts); JSON answers get plain messages, each state's
 * fields sliced from its text, or its text whole in the JSON-object form.
 */
export function createHistoryResponder(requestContentType: string | null, blockKey: string, form: StateForm, batchRows: number): HistoryResponder {
  if (answersInBinary(requestContentType)) {
    const keyBytes = new TextEncoder().encode(blockKey);
    return (page) => {
      const encoded = encodeHistoryPage(page, keyBytes, form);
      page.release?.();
      let start = 0;
      const ends = runEnds(encodedSizes(encoded), messageBudgetBytes, batchRows);
      const written = onLastOf(ends.length, encoded.release);
      return ends.map((end) => {
        const message = create(GetHistoryResponseSchema);
        const first = start === 0 ? 0 : encoded.ends[start - 1]!;
        // The unknown field's data is everything after the first entry's tag.
        message.$unknown = [{ no: 1, wireType: 2, data: encoded.bytes.subarray(first + 1, encoded.ends[end - 1]!) }];
        recordWireBytes(message, [encoded.bytes.subarray(first, encoded.ends[end - 1]!)], written);
        recordFigures(message, { blocks: end - start, stateBytes: encoded.valueBytes.slice(start, end).reduce((sum, bytes) => sum + bytes, 0) });
        start = end;
        return message;
      });
    };
  }
  return (page) => {
    const data = Buffer.from(page.data.buffer, page.data.byteOffset, page.data.byteLength);
    const entries = Array.from({ length: page.rows }, (_, row) => {
      const at = boundsPerRow * row;
      const stateStart = page.bounds[at + 4]!;
      const stateText = stateStart < 0 ? null : data.toString("utf8", stateStart, page.bounds[at + 5]!);
      return create(HistoryEntrySchema, {
        username: data.toString("utf8", page.bounds[at]!, page.bounds[at + 1]!),
        blockKey,
        state: stateText === null ? undefined : create(StateSnapshotSchema, form === "json-object" ? { stateJson: stateText } : { fields: splitStateJson(stateText) }),
        updateTime: timestampFromMicros(page.modified[row]!),
      });
    });
    page.release?.();
    const messages: GetHistoryResponse[] = [];
    for (let start = 0; start < entries.length; start += batchRows) messages.push(create(GetHistoryResponseSchema, { entries: entries.slice(start, start + batchRows) }));
    return messages;
  };
}

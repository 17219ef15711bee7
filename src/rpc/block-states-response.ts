import { create, type MessageShape } from "@bufbuild/protobuf";
import { parseContentType as parseConnect } from "@connectrpc/connect/protocol-connect";
import { parseContentType as parseGrpc } from "@connectrpc/connect/protocol-grpc";
import { parseContentType as parseGrpcWeb } from "@connectrpc/connect/protocol-grpc-web";
import { BlockStateSchema, type BlockState } from "../../gen/learnerstate/v1/user_state_pb.js";
import type {
  GetManyResponseSchema,
  IterAllForBlockResponseSchema,
  IterAllForCourseResponseSchema,
} from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { etagOf, splitStateJson, statesOfPage, type PositionedState, type StatePage } from "../domain/state/index.js";
import { blockStatesField, encodeResumeTokenField, encodeStatePage, type EncodedStates, type StateForm } from "./block-state-encoding.js";
import { recordFigures, valueBytes } from "./response-figures.js";
import { onLastOf, recordWireBytes } from "./wire-bytes.js";
import { timestampFromMicros } from "./timestamp.js";

/** The responses made of `repeated BlockState block_states = 1` and, for IterAll*, `string resume_token = 2`. */
export type BlockStatesResponseSchema = typeof GetManyResponseSchema | typeof IterAllForBlockResponseSchema | typeof IterAllForCourseResponseSchema;

/**
 * Builds the response messages for consecutive states (the rows of a page):
 * as few as fit the byte budget and `maxStates` states each, each with the
 * resume token `resumeTokenAfter` gives for its last state (its row in the
 * page; GetMany has none and returns "").
 */
export type BlockStatesResponder<Schema extends BlockStatesResponseSchema> = (
  page: StatePage,
  resumeTokenAfter: (row: number) => string,
  maxStates: number,
) => Array<MessageShape<Schema>>;

/**
 * The largest response message the service means to send, in bytes: most
 * gRPC clients refuse to receive messages over 4 MiB by default. A single
 * state larger than this still goes out alone in its message.
 */
export const messageBudgetBytes = 4_000_000;

function blockStateOf(state: PositionedState, form: StateForm): BlockState {
  return create(BlockStateSchema, {
    username: state.username,
    blockKey: state.usageKey,
    ...(form === "json-object" ? { stateJson: state.stateJson } : { fields: splitStateJson(state.stateJson) }),
    updateTime: timestampFromMicros(state.modified),
    etag: etagOf(state.position, state.modified),
  });
}

/** The wire bytes of a length-delimited unknown field: its tag, then its data (length and body). */
function wireOfUnknown(field: { readonly no: number; readonly data: Uint8Array }): Uint8Array {
  const bytes = new Uint8Array(1 + field.data.length);
  bytes[0] = (field.no << 3) | 2;
  bytes.set(field.data, 1);
  return bytes;
}

/** Whether Connect answers a request with this content type in the protobuf binary format (decided as Connect decides it). */
export function answersInBinary(contentType: string | null): boolean {
  const parsed = parseGrpc(contentType) ?? parseGrpcWeb(contentType) ?? parseConnect(contentType);
  return parsed?.binary === true;
}

/**
 * Splits items of the given sizes into consecutive runs of at most `budget`
 * bytes and `maxItems` items, each with at least one item; returns the index
 * after each run.
 */
export function runEnds(sizes: readonly number[], budget: number, maxItems = Number.POSITIVE_INFINITY): number[] {
  const ends: number[] = [];
  let bytes = 0;
  let items = 0;
  sizes.forEach((size, index) => {
    if (index > 0 && (bytes + size > budget || items === maxItems)) {
      ends.push(index);
      bytes = 0;
      items = 0;
    }
    bytes += size;
    items += 1;
  });
  if (sizes.length > 0) ends.push(sizes.length);
  return ends;
}

/** The size of each item of `encoded`, from the offsets after each. */
export function encodedSizes(encoded: EncodedStates): number[] {
  return encoded.ends.map((end, index) => end - (index === 0 ? 0 : encoded.ends[index - 1]!));
}

/**
 * What a plain state weighs in a JSON message: its texts, with room for the
 * escaping JSON adds to JSON texts inside strings.
 */
function jsonWeight(state: BlockState): number {
  let bytes = Buffer.byteLength(state.username) + Buffer.byteLength(state.blockKey) + 2 * Buffer.byteLength(state.stateJson) + 64;
  for (const name in state.fields) bytes += 2 * (Buffer.byteLength(name) + Buffer.byteLength(state.fields[name]!)) + 8;
  return bytes;
}

/**
 * The responder of one call. For a call answered in the binary format, each
 * message is encoded here, straight from the rows' bytes, by
 * the purpose-built encoder (block-state-encoding.ts): protobuf-es's
 * reflective encoder, and building BlockState messages and field objects for
 * it, cost several times more CPU, which limits a server's rows per second.
 * The message then holds only bytes, so a stream waiting for a slow reader
 * keeps that compact form alive, not a page of objects. JSON calls get plain
 * messages, their fields sliced from the same texts, decoded.
 * Messages stay within `budgetBytes` (see {@link messageBudgetBytes}). With
 * `form` "json-object", each state goes out whole as `state_json`.
 */
export function createBlockStatesResponder<Schema extends BlockStatesResponseSchema>(
  schema: Schema,
  requestContentType: string | null,
  budgetBytes: number,
  form: StateForm,
): BlockStatesResponder<Schema> {
  if (answersInBinary(requestContentType)) {
    return (page, resumeTokenAfter, maxStates) => {
      const encoded = encodeStatePage(page, form);
      page.release?.();
      let start = 0;
      const ends = runEnds(encodedSizes(encoded), budgetBytes, maxStates);
      const written = onLastOf(ends.length, encoded.release);
      return ends.map((end) => {
        const message = create(schema) as MessageShape<BlockStatesResponseSchema>;
        const resumeToken = encodeResumeTokenField(resumeTokenAfter(end - 1));
        message.$unknown = [blockStatesField(encoded, start, end - 1), ...resumeToken];
        recordWireBytes(message, [encoded.bytes.subarray(start === 0 ? 0 : encoded.ends[start - 1]!, encoded.ends[end - 1]!), ...resumeToken.map(wireOfUnknown)], written);
        recordFigures(message, { blocks: end - start, stateBytes: encoded.valueBytes.slice(start, end).reduce((sum, bytes) => sum + bytes, 0) });
        start = end;
        return message as MessageShape<Schema>;
      });
    };
  }
  return (page, resumeTokenAfter, maxStates) => {
    const states = statesOfPage(page);
    page.release?.();
    const blockStates = states.map((state) => blockStateOf(state, form));
    let start = 0;
    return runEnds(blockStates.map(jsonWeight), budgetBytes, maxStates).map((end) => {
      const message = create(schema) as MessageShape<BlockStatesResponseSchema>;
      const run = blockStates.slice(start, end);
      message.blockStates = run;
      if ("resumeToken" in message) message.resumeToken = resumeTokenAfter(end - 1);
      const stateBytes = run.reduce((sum, state) => sum + (form === "json-object" ? Buffer.byteLength(state.stateJson) : valueBytes(state.fields)), 0);
      recordFigures(message, { blocks: run.length, stateBytes });
      start = end;
      return message as MessageShape<Schema>;
    });
  };
}

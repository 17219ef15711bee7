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
import type { StoredState } from "../domain/state/index.js";
import { encodeBlockStatesAsUnknownFields } from "./block-state-encoding.js";
import { recordFigures, valueBytes } from "./response-figures.js";
import { timestampFromMicros } from "./timestamp.js";

/** The responses made of `repeated BlockState block_states = 1` and, for IterAll*, `string resume_token = 2`. */
export type BlockStatesResponseSchema = typeof GetManyResponseSchema | typeof IterAllForBlockResponseSchema | typeof IterAllForCourseResponseSchema;

/** Builds one response message from states (and, for IterAll*, the token to resume after them). */
export type BlockStatesResponder<Schema extends BlockStatesResponseSchema> = (states: readonly StoredState[], resumeToken: string) => MessageShape<Schema>;

function blockStateOf(state: StoredState): BlockState {
  return create(BlockStateSchema, {
    username: state.username,
    blockKey: state.usageKey,
    fields: state.fields,
    updateTime: timestampFromMicros(state.modified),
  });
}

/** Whether Connect answers a request with this content type in the protobuf binary format (decided as Connect decides it). */
export function answersInBinary(contentType: string | null): boolean {
  const parsed = parseGrpc(contentType) ?? parseGrpcWeb(contentType) ?? parseConnect(contentType);
  return parsed?.binary === true;
}

/**
 * The responder of one call. For a call answered in the binary format, each
 * message is encoded here and then, by the purpose-built BlockState encoder
 * (block-state-encoding.ts): protobuf-es's reflective encoder costs about
 * ten times more CPU, which limits a server's rows per second. The message
 * then holds only bytes, so a stream waiting for a slow reader keeps that
 * compact form alive, not a page of objects. JSON calls get plain messages.
 */
export function createBlockStatesResponder<Schema extends BlockStatesResponseSchema>(
  schema: Schema,
  requestContentType: string | null,
): BlockStatesResponder<Schema> {
  const binary = answersInBinary(requestContentType);
  return (states, resumeToken) => {
    const blockStates = states.map(blockStateOf);
    const message = create(schema) as MessageShape<BlockStatesResponseSchema>;
    const fields = binary ? encodeBlockStatesAsUnknownFields(blockStates, resumeToken) : null;
    if (fields === null) {
      message.blockStates = blockStates;
      if ("resumeToken" in message) message.resumeToken = resumeToken;
    } else {
      message.$unknown = fields;
      recordFigures(message, { blocks: blockStates.length, stateBytes: blockStates.reduce((sum, state) => sum + valueBytes(state.fields), 0) });
    }
    return message as MessageShape<Schema>;
  };
}

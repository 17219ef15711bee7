import { create, type DescMessage } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { parseContentType as parseConnect } from "@connectrpc/connect/protocol-connect";
import { parseContentType as parseGrpc } from "@connectrpc/connect/protocol-grpc";
import { parseContentType as parseGrpcWeb } from "@connectrpc/connect/protocol-grpc-web";
import type { BlockState } from "../../gen/learnerstate/v1/user_state_pb.js";
import {
  GetManyResponseSchema,
  IterAllForBlockResponseSchema,
  IterAllForCourseResponseSchema,
} from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { encodeBlockStatesAsUnknownFields } from "../rpc/index.js";

/** The responses made of `repeated BlockState block_states = 1` and, for IterAll*, `string resume_token = 2`. */
const blockStateResponses = new Set<DescMessage>([GetManyResponseSchema, IterAllForBlockResponseSchema, IterAllForCourseResponseSchema]);

interface BlockStatesResponse {
  blockStates: BlockState[];
  resumeToken?: string;
}

/** Whether Connect answers a request with this content type in the protobuf binary format (as Connect itself decides). */
function answersInBinary(contentType: string | null): boolean {
  const parsed = parseGrpc(contentType) ?? parseGrpcWeb(contentType) ?? parseConnect(contentType);
  return parsed?.binary === true;
}

async function* encodeEach(schema: DescMessage, messages: AsyncIterable<unknown>): AsyncIterable<unknown> {
  for await (const message of messages) {
    const response = message as BlockStatesResponse;
    const fields = encodeBlockStatesAsUnknownFields(response.blockStates, response.resumeToken ?? "");
    if (fields === null) {
      yield message;
    } else {
      const encoded = create(schema);
      encoded.$unknown = fields;
      yield encoded;
    }
  }
}

/**
 * Encodes the bulk responses (GetMany, IterAllForBlock, IterAllForCourse) of
 * binary calls with the purpose-built BlockState encoder instead of
 * protobuf-es's reflective one, which costs about ten times more CPU and is
 * what limits a server's rows per second. The bytes on the wire are the same
 * (src/rpc/block-state-encoding.ts). JSON calls are left alone. Must be the
 * outermost interceptor, so that every other one sees the plain messages.
 */
export const blockStatesEncodingInterceptor: Interceptor = (next) => async (request) => {
  const response = await next(request);
  if (!response.stream || !blockStateResponses.has(response.method.output) || !answersInBinary(request.header.get("content-type"))) {
    return response;
  }
  return { ...response, message: encodeEach(response.method.output, response.message) } as typeof response;
};

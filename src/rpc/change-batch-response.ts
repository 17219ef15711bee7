import { create, toBinary, type UnknownField } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { StateChangeSchema } from "../../gen/learnerstate/v1/user_state_pb.js";
import { WatchChangesResponseSchema, type WatchChangesResponse } from "../../gen/learnerstate/v1/user_state_service_pb.js";
import type { StateChange } from "../domain/changes/index.js";
import { answersInBinary } from "./block-states-response.js";
import { stateChangeMessage } from "./state-change-message.js";

// A change read by a course's shared reader goes to every watcher of the
// course: in binary it is encoded once, as the `changes` field it becomes
// (`repeated StateChange changes = 1`), and every watcher's message carries
// those bytes as an unknown field, which protobuf-es writes verbatim.
const encodedChanges = new WeakMap<StateChange, UnknownField>();

function changesField(change: StateChange): UnknownField {
  let field = encodedChanges.get(change);
  if (field === undefined) {
    const body = toBinary(StateChangeSchema, stateChangeMessage(change));
    field = { no: 1, wireType: WireType.LengthDelimited, data: new BinaryWriter().bytes(body).finish() };
    encodedChanges.set(change, field);
  }
  return field;
}

/** The WatchChangesResponse of `changes` and `resumeToken`, for a call whose request had `requestContentType`. */
export type ChangeBatchResponder = (changes: readonly StateChange[], resumeToken: string) => WatchChangesResponse;

/** A responder that shares each change's encoding between watchers when the call answers in binary, and builds plain messages for JSON. */
export function createChangeBatchResponder(requestContentType: string | null): ChangeBatchResponder {
  if (answersInBinary(requestContentType)) {
    return (changes, resumeToken) => {
      const response = create(WatchChangesResponseSchema, { resumeToken });
      response.$unknown = changes.map(changesField);
      return response;
    };
  }
  return (changes, resumeToken) => create(WatchChangesResponseSchema, { changes: changes.map(stateChangeMessage), resumeToken });
}

import { create } from "@bufbuild/protobuf";
import { ChangeKind, StateChangeSchema, type StateChange as StateChangeMessage } from "../../gen/learnerstate/v1/user_state_pb.js";
import { Scope as ScopeMessage } from "../../gen/learnerstate/v1/scope_pb.js";
import type { ChangeKind as DomainChangeKind, StateChange } from "../domain/changes/index.js";
import { scopeKeyings } from "../domain/state/index.js";
import { scopeToEnum } from "./scope.js";
import { timestampFromMicros } from "./timestamp.js";

const kindToEnum: Record<DomainChangeKind, ChangeKind> = {
  written: ChangeKind.FIELDS_WRITTEN,
  fields_deleted: ChangeKind.FIELDS_DELETED,
  deleted: ChangeKind.STATE_DELETED,
  retired: ChangeKind.LEARNER_RETIRED,
};

/** The StateChange message of a change: the block key is the stored one where the scope keys state by usage key, else empty. */
export function stateChangeMessage(change: StateChange): StateChangeMessage {
  const byUsage = change.scope !== null && scopeKeyings[change.scope].by === "usage";
  return create(StateChangeSchema, {
    username: change.username,
    blockKey: byUsage ? change.stateKey : "",
    blockType: change.blockType,
    scope: change.scope === null ? ScopeMessage.UNSPECIFIED : scopeToEnum(change.scope),
    courseKey: change.contextKey,
    kind: kindToEnum[change.kind],
    fieldNames: [...change.fieldNames],
    updateTime: timestampFromMicros(change.modified),
  });
}

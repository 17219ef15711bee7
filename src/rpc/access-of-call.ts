import type { DescMethod } from "@bufbuild/protobuf";
import { KeyService } from "../../gen/learnerstate/v1/key_service_pb.js";
import {
  UserStateService,
  type DeleteManyRequest,
  type GetHistoryRequest,
  type GetManyRequest,
  type GetModDatesRequest,
  type IterAllForBlockRequest,
  type IterAllForCourseRequest,
  type SetManyRequest,
} from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { contextsOfCourseKey, contextsOfUsageKeys, type AccessRequest } from "../auth/index.js";

/**
 * Whether calls to `method` go through authentication and the policy. The
 * health and reflection services are open, so that probes and tools reach
 * them without a token.
 */
export function isGuarded(method: DescMethod): boolean {
  return method.parent.typeName === UserStateService.typeName || method.parent.typeName === KeyService.typeName;
}

/** What a call to a guarded `method` with `message` asks to do, for the policy. */
export function accessOfCall(method: DescMethod, message: unknown): AccessRequest {
  const operation = method.name;
  if (method.parent.typeName === KeyService.typeName) return { kind: "describe-key", operation };
  const learner = (username: string, blockKeys: readonly string[], write: boolean): AccessRequest => ({
    kind: "learner-state",
    operation,
    write,
    username,
    contexts: contextsOfUsageKeys(blockKeys),
  });
  switch (operation) {
    case "GetMany":
    case "GetModDates": {
      const request = message as GetManyRequest | GetModDatesRequest;
      return learner(request.username, request.blockKeys, false);
    }
    case "GetHistory": {
      const request = message as GetHistoryRequest;
      return learner(request.username, [request.blockKey], false);
    }
    case "SetMany": {
      const request = message as SetManyRequest;
      return learner(request.username, request.updates.map((update) => update.blockKey), true);
    }
    case "DeleteMany": {
      const request = message as DeleteManyRequest;
      return learner(request.username, request.blockKeys, true);
    }
    case "IterAllForBlock":
      return { kind: "iterate", operation, contexts: contextsOfUsageKeys([(message as IterAllForBlockRequest).blockKey]) };
    case "IterAllForCourse":
      return { kind: "iterate", operation, contexts: contextsOfCourseKey((message as IterAllForCourseRequest).courseKey) };
    default:
      // A method added to the contract without a rule here is refused, not let through.
      return { kind: "iterate", operation, contexts: null };
  }
}

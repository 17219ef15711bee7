import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BlockEtagSchema, StateChangedDetailSchema } from "../../gen/learnerstate/v1/user_state_pb.js";
import { LearnerStateError, type ErrorKind } from "../domain/errors.js";
import { StateChangedError } from "../domain/state/index.js";
import { encodeErrorInfo, encodeRetryInfo } from "./error-info.js";

const codeOfKind: Record<ErrorKind, Code> = {
  "invalid-argument": Code.InvalidArgument,
  "not-found": Code.NotFound,
  unavailable: Code.Unavailable,
  "resource-exhausted": Code.ResourceExhausted,
  "deadline-exceeded": Code.DeadlineExceeded,
  aborted: Code.Aborted,
  "out-of-range": Code.OutOfRange,
  "failed-precondition": Code.FailedPrecondition,
  unauthenticated: Code.Unauthenticated,
  "permission-denied": Code.PermissionDenied,
};

/**
 * The one place domain errors become wire errors: the kind picks the code,
 * the message goes out as is, and the reason and metadata travel as a
 * `google.rpc.ErrorInfo` detail, plus a `google.rpc.RetryInfo` and a
 * `grpc-retry-pushback-ms` trailer when the error says when to retry
 * (`retryAfterMs`; -1, "do not", for other RESOURCE_EXHAUSTED errors), and a
 * `learnerstate.v1.StateChangedDetail` for a failed precondition. Anything that is not a LearnerStateError is
 * passed through, so Connect reports it as INTERNAL without its text.
 */
export function toConnectError(error: unknown): unknown {
  if (!(error instanceof LearnerStateError)) return error;
  const connectError = new ConnectError(error.message, codeOfKind[error.kind], undefined, undefined, error);
  connectError.details.push(encodeErrorInfo(error.reason, error.metadata));
  if (error instanceof StateChangedError) {
    const currentEtags = error.currentEtags.map((block) => create(BlockEtagSchema, block));
    connectError.details.push({ desc: StateChangedDetailSchema, value: { currentEtags } });
  }
  const retryAfterMs = error.metadata["retryAfterMs"];
  if (retryAfterMs !== undefined) {
    connectError.details.push(encodeRetryInfo(Number(retryAfterMs)));
    // gRPC's own retry support reads this trailer (gRFC A6).
    connectError.metadata.set("grpc-retry-pushback-ms", retryAfterMs);
  } else if (error.kind === "resource-exhausted") {
    // A request too large stays too large: a negative pushback tells gRPC's retry support not to retry it.
    connectError.metadata.set("grpc-retry-pushback-ms", "-1");
  }
  return connectError;
}

import { StateForm as StateFormMessage } from "../../gen/learnerstate/v1/user_state_pb.js";
import { invalidArgument } from "../domain/errors.js";
import type { StateForm } from "./block-state-encoding.js";

const formOfEnum: Record<StateFormMessage, StateForm> = {
  [StateFormMessage.UNSPECIFIED]: "fields",
  [StateFormMessage.FIELDS]: "fields",
  [StateFormMessage.JSON_OBJECT]: "json-object",
};

/** How a request asks BlockStates to carry states; a number the contract does not name is INVALID_ARGUMENT (INVALID_STATE_FORM). */
export function stateFormFromEnum(value: StateFormMessage): StateForm {
  const form = formOfEnum[value];
  if (form === undefined) throw invalidArgument("INVALID_STATE_FORM", "state_form", `unknown state form value ${value}`);
  return form;
}

import { Scope as ScopeMessage } from "../../gen/learnerstate/v1/scope_pb.js";
import { invalidArgument } from "../domain/errors.js";
import type { Scope } from "../domain/state/index.js";

const scopeOfEnum: Record<ScopeMessage, Scope> = {
  [ScopeMessage.UNSPECIFIED]: "user_state",
  [ScopeMessage.USER_STATE]: "user_state",
  [ScopeMessage.PREFERENCES]: "preferences",
  [ScopeMessage.USER_INFO]: "user_info",
  [ScopeMessage.USER_STATE_SUMMARY]: "user_state_summary",
};

/** The domain scope of a wire enum value; undefined for a number the contract does not name. */
export function knownScope(value: ScopeMessage): Scope | undefined {
  return scopeOfEnum[value];
}

/** The domain scope of a wire enum value; unknown numbers are INVALID_ARGUMENT. */
export function scopeFromEnum(value: ScopeMessage): Scope {
  const scope = knownScope(value);
  if (scope === undefined) throw invalidArgument("UNSUPPORTED_SCOPE", "scope", `unknown scope value ${value}`);
  return scope;
}

const enumOfScope: Record<Scope, ScopeMessage> = {
  user_state: ScopeMessage.USER_STATE,
  preferences: ScopeMessage.PREFERENCES,
  user_info: ScopeMessage.USER_INFO,
  user_state_summary: ScopeMessage.USER_STATE_SUMMARY,
};

/** The wire enum value of a domain scope. */
export function scopeToEnum(scope: Scope): ScopeMessage {
  return enumOfScope[scope];
}

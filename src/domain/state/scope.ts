import { invalidArgument } from "../errors.js";

/** The XBlock field scopes the contract names. */
export type Scope = "user_state" | "preferences" | "user_info" | "user_state_summary";

/** Scopes this service stores today. */
export const supportedScopes: readonly Scope[] = ["user_state"];

/**
 * Returns `scope` when the service stores it; otherwise throws INVALID_ARGUMENT
 * naming the scopes that are supported.
 */
export function requireSupportedScope(scope: Scope): Scope {
  if (supportedScopes.includes(scope)) return scope;
  throw invalidArgument("UNSUPPORTED_SCOPE", "scope", `scope ${scope} is not supported; supported scopes: ${supportedScopes.join(", ")}`, {
    scope,
    supportedScopes: supportedScopes.join(","),
  });
}

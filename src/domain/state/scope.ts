import { invalidArgument } from "../errors.js";

/** The XBlock field scopes the contract names. */
export type Scope = "user_state" | "preferences" | "user_info" | "user_state_summary";

/**
 * How a scope keys its state, as XBlock's `Scope` does: whose it is
 * (UserScope) and which part of a block key selects it (BlockScope).
 */
export interface ScopeKeying {
  /** "learner": each learner has their own (UserScope.ONE); "shared": one for all learners (UserScope.ALL). */
  readonly owner: "learner" | "shared";
  /** What selects the state: the usage key (BlockScope.USAGE), the block's type (BlockScope.TYPE), or nothing (BlockScope.ALL). */
  readonly by: "usage" | "type" | "all";
}

/** The keying of every scope. */
export const scopeKeyings: Readonly<Record<Scope, ScopeKeying>> = {
  user_state: { owner: "learner", by: "usage" },
  preferences: { owner: "learner", by: "type" },
  user_info: { owner: "learner", by: "all" },
  user_state_summary: { owner: "shared", by: "usage" },
};

/**
 * The scopes each iteration serves: a block's states exist where the scope
 * keys state by usage or type (every learner's state the block reads), a
 * course's only where states are filed under a block, hence a course.
 */
const iterableScopes: Readonly<Record<"block" | "course", readonly Scope[]>> = {
  block: ["user_state", "preferences", "user_state_summary"],
  course: ["user_state", "user_state_summary"],
};

/**
 * Returns `scope` when an iteration of `kind` ("block" for IterAllForBlock,
 * "course" for IterAllForCourse) serves it; otherwise throws INVALID_ARGUMENT
 * (UNSUPPORTED_SCOPE) naming the scopes it serves.
 */
export function requireIterableScope(scope: Scope, kind: "block" | "course"): Scope {
  const served = iterableScopes[kind];
  if (served.includes(scope)) return scope;
  const why = kind === "block" ? "is not kept per block" : "is not kept per course";
  throw invalidArgument("UNSUPPORTED_SCOPE", "scope", `state of scope ${scope} ${why}; this call serves scopes ${served.join(", ")}`, {
    scope,
    supportedScopes: served.join(","),
  });
}

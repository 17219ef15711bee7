import type { AccessRequest, ContextRef } from "./access-request.js";
import type { Principal } from "./principal.js";

/** The policy's answer. `audit` marks allowed calls that read other learners' state. */
export type Decision =
  | { readonly allowed: true; readonly basis: "development" | "administrator" | "own-state" | "staff" | "authenticated"; readonly audit: boolean }
  | { readonly allowed: false; readonly reason: string };

type TokenPrincipal = Extract<Principal, { kind: "token" }>;

function staffCovers(principal: TokenPrincipal, contexts: readonly ContextRef[] | null): boolean {
  if (contexts === null || contexts.length === 0) return false;
  return contexts.every((context) => principal.courses.includes(context.key) || (context.org !== null && principal.orgs.includes(context.org)));
}

/**
 * Decides whether `principal` may make the call described by `access`:
 * - without authentication configured (development), everything;
 * - an administrator token, everything;
 * - any token, its own state (`preferred_username`), read and write, and DescribeKey;
 * - a staff token (`content_org:` / `course:` filters), reads of any learner's
 *   state and IterAll* in those orgs and courses only, never writes for others.
 * Pure: the same input always gets the same decision.
 */
export function decide(principal: Principal, access: AccessRequest): Decision {
  if (principal.kind === "development") return { allowed: true, basis: "development", audit: false };
  if (principal.administrator) return { allowed: true, basis: "administrator", audit: false };
  switch (access.kind) {
    case "describe-key":
      return { allowed: true, basis: "authenticated", audit: false };
    case "learner-state":
      if (principal.username !== null && principal.username === access.username) return { allowed: true, basis: "own-state", audit: false };
      if (access.write) return { allowed: false, reason: `${access.operation} may change only the caller's own state` };
      if (staffCovers(principal, access.contexts)) return { allowed: true, basis: "staff", audit: true };
      return { allowed: false, reason: `${access.operation} of another learner's state needs staff access to every course it touches` };
    case "iterate":
      if (staffCovers(principal, access.contexts)) return { allowed: true, basis: "staff", audit: true };
      return { allowed: false, reason: `${access.operation} needs staff access to the course` };
  }
}

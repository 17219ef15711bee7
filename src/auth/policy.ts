import type { AccessRequest, ContextRef } from "./access-request.js";
import { capabilityTraits, type Capability } from "./capability.js";
import type { Principal } from "./principal.js";
import { narrowsContexts, type TokenFilters } from "./token-filters.js";

/**
 * The policy's answer, with the scope and the filters that decided it (for
 * audit records). `audit` marks allowed calls that touch data of learners
 * other than the caller's own, and every call that erases a learner's data,
 * whoever makes it.
 */
export type Decision =
  | {
      readonly allowed: true;
      readonly basis: "development" | "administrator" | "any-token" | "scope";
      readonly scope: Capability | null;
      readonly filters: readonly string[];
      readonly audit: boolean;
    }
  | { readonly allowed: false; readonly reason: string; readonly scope: Capability | null; readonly filters: readonly string[] };

type TokenPrincipal = Extract<Principal, { kind: "token" }>;

/** The filter that admits `context`, if any: a `course:` filter naming it, else a `content_org:` filter of its org. */
function filterCovering(filters: TokenFilters, context: ContextRef): string | null {
  if (filters.courses.includes(context.key)) return `course:${context.key}`;
  const org = context.org?.toLowerCase();
  if (org !== undefined && filters.orgs.includes(org)) return `content_org:${org}`;
  return null;
}

const deny = (reason: string, scope: Capability | null, filters: readonly string[] = []): Decision => ({ allowed: false, reason, scope, filters });

/** Whether `access` erases a learner's data, which is audited whoever calls. */
export function erasesLearnerData(access: AccessRequest): boolean {
  const { capability } = access;
  return capability !== null && capability !== "administrator-only" && capabilityTraits[capability].erasesLearnerData;
}

/**
 * Decides a token's call that needs `scope`, which the token carries. Filters
 * narrow and never grant: `user:me` confines it to its own learner's state
 * (and to reading data shared by all learners), `content_org:`/`course:`
 * filters to those learning contexts, and a token with both must meet both.
 * A token with a filter of unknown form is refused, and so is one with no
 * filter at all when the scope reaches personal data.
 */
function decideScoped(principal: TokenPrincipal, access: AccessRequest, scope: Capability): Decision {
  const { filters } = principal;
  const { operation, owner, contexts } = access;
  if (filters.unknown.length > 0) {
    return deny(`${operation}: the token carries filters this service does not know (${filters.unknown.join(", ")}), so it cannot tell what they allow`, scope, filters.unknown);
  }
  const traits = capabilityTraits[scope];
  if (traits.personal && !filters.ownUser && !narrowsContexts(filters)) {
    return deny(`${operation}: a token with scope ${scope} must also carry a filter (user:me, content_org:<org> or course:<course key>) saying whose or which data it is for`, scope);
  }
  const deciding: string[] = [];
  // user:me narrows personal data to the token's own learner; data shared by
  // all learners it may read, never change.
  const sharedRead = owner.kind === "shared" && !traits.changesData;
  if (filters.ownUser && !sharedRead) {
    if (owner.kind !== "learner" || principal.username === null || owner.username !== principal.username) {
      const whose = owner.kind === "learner" ? "another learner's state" : owner.kind === "every-learner" ? "every learner's state" : "data shared by all learners";
      return deny(`${operation}: the token's user:me filter confines it to ${principal.username ?? "its own user"}'s state, and this call touches ${whose}`, scope, ["user:me"]);
    }
    deciding.push("user:me");
  }
  if (narrowsContexts(filters)) {
    const contextFilters = [...filters.courses.map((course) => `course:${course}`), ...filters.orgs.map((org) => `content_org:${org}`)];
    if (contexts === null || contexts.length === 0) {
      return deny(`${operation}: the token is narrowed to some courses, and the call names no course it can be checked against`, scope, contextFilters);
    }
    for (const context of contexts) {
      const covering = filterCovering(filters, context);
      if (covering === null) return deny(`${operation}: ${context.key} is outside the courses and orgs the token's filters allow`, scope, contextFilters);
      if (!deciding.includes(covering)) deciding.push(covering);
    }
  }
  const othersData = owner.kind === "every-learner" || (owner.kind === "learner" && owner.username !== principal.username);
  return { allowed: true, basis: "scope", scope, filters: deciding, audit: othersData || traits.erasesLearnerData };
}

/**
 * Decides whether `principal` may make the call described by `access`:
 * - without authentication configured (development), everything;
 * - an administrator token (`administrator: true`), everything;
 * - a call that needs no scope (DescribeKey), any valid token;
 * - an administrator-only call, nobody else;
 * - otherwise the token's `scopes` must grant the call's capability, and its
 *   `filters` (required) narrow where: see {@link decideScoped}.
 * `is_restricted` tokens get exactly the same rules. Pure: the same input
 * always gets the same decision.
 */
export function decide(principal: Principal, access: AccessRequest): Decision {
  if (principal.kind === "development") return { allowed: true, basis: "development", scope: null, filters: [], audit: erasesLearnerData(access) };
  if (principal.administrator) return { allowed: true, basis: "administrator", scope: null, filters: [], audit: erasesLearnerData(access) };
  const scope = access.capability;
  if (scope === null) return { allowed: true, basis: "any-token", scope: null, filters: [], audit: false };
  if (scope === "administrator-only") return deny(`${access.operation} needs an administrator token`, null);
  if (!principal.scopes.includes(scope)) return deny(`${access.operation} needs scope ${scope}, which the token does not carry`, scope);
  return decideScoped(principal, access, scope);
}

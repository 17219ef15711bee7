import { catalogCourseKey, checkCatalogCourseSelection, type CatalogCourseSelection } from "../domain/catalog/index.js";
import { LearnerStateError } from "../domain/errors.js";
import { InvalidKeyError, parseLearningContextKey, parseUsageKey, type LearningContextKey } from "../domain/keys/index.js";
import type { Capability } from "./capability.js";

/** A course or other learning context a call touches. */
export interface ContextRef {
  /** The context's canonical key, as `course:` filters name it; for an `i4x://` block, `org/course`. */
  readonly key: string;
  /** Its org, matched case-insensitively against `content_org:` filters. */
  readonly org: string | null;
}

/**
 * Whose data a call touches: one learner's, every learner's (bulk reads), or
 * no learner's in particular (data shared by all learners, such as catalog
 * entries or a block's summary state).
 */
export type DataOwner =
  | { readonly kind: "learner"; readonly username: string }
  | { readonly kind: "every-learner" }
  | { readonly kind: "shared" };

/** What a call wants to do, in the terms the policy decides on. */
export interface AccessRequest {
  /** The RPC's name, for messages and audit records. */
  readonly operation: string;
  /**
   * The scope a token that is not an administrator must carry; null when any
   * valid token may call; "administrator-only" when no scope is enough.
   */
  readonly capability: Capability | "administrator-only" | null;
  /** Whose data the call reads or changes. */
  readonly owner: DataOwner;
  /**
   * The learning contexts the call touches; null when a key in the call does
   * not parse, so that no context filter can be shown to cover it.
   */
  readonly contexts: readonly ContextRef[] | null;
}

// The refs of the contexts of recently parsed keys: keys are immutable and
// parseUsageKey shares the parsed ones, so a call's 100 keys of one course
// reach one context object, whose canonical text is formatted once.
const refsOfContexts = new WeakMap<LearningContextKey, ContextRef>();

function refOf(context: LearningContextKey): ContextRef {
  let ref = refsOfContexts.get(context);
  if (ref === undefined) {
    const key = context.run === null && context.deprecated ? `${context.org}/${context.course}` : context.toString();
    ref = { key, org: context.org };
    refsOfContexts.set(context, ref);
  }
  return ref;
}

/** The contexts of usage keys; null if any of them does not parse. */
export function contextsOfUsageKeys(keys: readonly string[]): ContextRef[] | null {
  try {
    const refs: ContextRef[] = [];
    const seen = new Set<string>();
    for (const key of keys) {
      const ref = refOf(parseUsageKey(key).contextKey);
      if (seen.has(ref.key)) continue;
      seen.add(ref.key);
      refs.push(ref);
    }
    return refs;
  } catch (error) {
    if (error instanceof InvalidKeyError) return null;
    throw error;
  }
}

/** The context of a course key; null if it does not parse. */
export function contextsOfCourseKey(key: string): ContextRef[] | null {
  try {
    return [refOf(parseLearningContextKey(key))];
  } catch (error) {
    if (error instanceof InvalidKeyError) return null;
    throw error;
  }
}

/**
 * The context of a catalog course: its key `catalog-course:<org>:<course>`
 * and its org, which `content_org:` filters cover. Null for a course named
 * by id, whose org the call does not say, and for a malformed selection.
 */
export function contextsOfCatalogCourse(selection: CatalogCourseSelection): ContextRef[] | null {
  try {
    const ref = checkCatalogCourseSelection(selection, "catalog_course");
    return ref.kind === "code" ? [{ key: catalogCourseKey(ref.orgCode, ref.courseCode), org: ref.orgCode }] : null;
  } catch (error) {
    if (error instanceof LearnerStateError) return null;
    throw error;
  }
}

/** The context of an organization, which only `content_org:` filters naming it cover. */
export function contextsOfOrganization(shortName: string): ContextRef[] {
  return [{ key: `organization:${shortName}`, org: shortName }];
}

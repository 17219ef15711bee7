import { InvalidKeyError, parseLearningContextKey, parseUsageKey, type LearningContextKey } from "../domain/keys/index.js";

/** A course or other learning context a call touches. */
export interface ContextRef {
  /** The context's key as staff filters name it (`course:<key>`); for an `i4x://` block, `org/course`. */
  readonly key: string;
  /** Its org, matched against `content_org:<org>` filters. */
  readonly org: string | null;
}

/**
 * What a call wants to do, in the terms the policy decides on. `contexts` is
 * null when a key in the call does not parse: the policy then grants only
 * what does not depend on the course (the caller's own state).
 */
export type AccessRequest =
  | { readonly kind: "learner-state"; readonly operation: string; readonly write: boolean; readonly username: string; readonly contexts: readonly ContextRef[] | null }
  | { readonly kind: "iterate"; readonly operation: string; readonly contexts: readonly ContextRef[] | null }
  | { readonly kind: "describe-key"; readonly operation: string };

function refOf(context: LearningContextKey): ContextRef {
  const key = context.run === null && context.deprecated ? `${context.org}/${context.course}` : context.toString();
  return { key, org: context.org };
}

function distinct(refs: ContextRef[]): ContextRef[] {
  return [...new Map(refs.map((ref) => [ref.key, ref])).values()];
}

/** The contexts of usage keys; null if any of them does not parse. */
export function contextsOfUsageKeys(keys: readonly string[]): ContextRef[] | null {
  try {
    return distinct(keys.map((key) => refOf(parseUsageKey(key).contextKey)));
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

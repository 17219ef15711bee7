import { InvalidKeyError, parseLearningContextKey } from "../domain/keys/index.js";

/**
 * What a token's Open edX `filters` claim narrows it to. Filters never grant:
 * each kind present is one more condition every call must meet.
 */
export interface TokenFilters {
  /** `user:me`: only the state of the token's own `preferred_username`. */
  readonly ownUser: boolean;
  /** Orgs of `content_org:<org>` filters, lowercased: Open edX compares org short names case-insensitively. */
  readonly orgs: readonly string[];
  /** Canonical course keys of `course:<course key>` filters (as written when the key does not parse). */
  readonly courses: readonly string[];
  /** Filters of any other form. The service cannot tell what they narrow, so a token with one is refused. */
  readonly unknown: readonly string[];
  /** Every filter as the token carried it, for audit records. */
  readonly all: readonly string[];
}

function canonicalCourse(text: string): string {
  try {
    return parseLearningContextKey(text).toString();
  } catch (error) {
    if (error instanceof InvalidKeyError) return text;
    throw error;
  }
}

/** Reads a `filters` claim; anything that is not an array of strings is no filter. */
export function parseTokenFilters(claim: unknown): TokenFilters {
  const all = Array.isArray(claim) ? claim.filter((item): item is string => typeof item === "string") : [];
  const filters = { ownUser: false, orgs: [] as string[], courses: [] as string[], unknown: [] as string[], all };
  for (const filter of all) {
    if (filter === "user:me") filters.ownUser = true;
    else if (filter.startsWith("content_org:") && filter.length > "content_org:".length) filters.orgs.push(filter.slice("content_org:".length).toLowerCase());
    else if (filter.startsWith("course:") && filter.length > "course:".length) filters.courses.push(canonicalCourse(filter.slice("course:".length)));
    else filters.unknown.push(filter);
  }
  return filters;
}

/** Whether the token carries any context filter (`content_org:` or `course:`). */
export function narrowsContexts(filters: TokenFilters): boolean {
  return filters.orgs.length > 0 || filters.courses.length > 0;
}

import { checkBlockType, checkUsername, contextsOfCourse, type Scope } from "../state/index.js";
import type { StateChange } from "./state-change.js";

/** A WatchChanges request's filters, as the caller sent them (scopes already known ones). */
export interface WatchRequest {
  /** "" for every course (and the scopes of none). */
  readonly courseKey: string;
  readonly blockTypes: readonly string[];
  readonly scopes: readonly Scope[];
  /** "" for every learner. */
  readonly username: string;
}

/** Which changes a watcher gets. */
export interface WatchFilter {
  /** The stored context keys of the course (one, or two spellings of a deprecated key); null for every change. */
  readonly contexts: readonly string[] | null;
  /** Null: every type. */
  readonly blockTypes: ReadonlySet<string> | null;
  /** Null: every scope. */
  readonly scopes: ReadonlySet<Scope> | null;
  /** Null: every learner's, and state shared by all learners. */
  readonly username: string | null;
  /** What the filter is, in a stable form, to bind resume tokens to. */
  readonly parts: readonly string[];
}

/** The filter `request` asks for; INVALID_ARGUMENT naming the field when a course key, block type or username is malformed. */
export function watchFilterOf(request: WatchRequest): WatchFilter {
  const contexts = request.courseKey === "" ? null : contextsOfCourse(request.courseKey, "course_key");
  const blockTypes = request.blockTypes.map((type, index) => checkBlockType(type, `block_types[${index}]`));
  if (request.username !== "") checkUsername(request.username);
  const sortedTypes = [...new Set(blockTypes)].sort();
  const sortedScopes = [...new Set(request.scopes)].sort();
  return {
    contexts,
    blockTypes: sortedTypes.length === 0 ? null : new Set(sortedTypes),
    scopes: sortedScopes.length === 0 ? null : new Set(sortedScopes),
    username: request.username === "" ? null : request.username,
    parts: ["watch", ...(contexts ?? ["*"]), `types:${sortedTypes.join(",")}`, `scopes:${sortedScopes.join(",")}`, `user:${request.username}`],
  };
}

/** Whether `change` passes `filter` (its course was chosen by the read). A retirement passes every block type and scope filter. */
export function passes(filter: WatchFilter, change: StateChange): boolean {
  if (filter.username !== null && change.username !== filter.username) return false;
  if (change.kind === "retired") return true;
  if (filter.scopes !== null && (change.scope === null || !filter.scopes.has(change.scope))) return false;
  return filter.blockTypes === null || filter.blockTypes.has(change.blockType);
}

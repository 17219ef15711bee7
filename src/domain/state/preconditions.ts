import { LearnerStateError, invalidArgument } from "../errors.js";
import { etagOf, type StateVersion } from "./etag.js";

/** A precondition as the caller sent it: exactly one of the two must be set. */
export interface RequestedPrecondition {
  readonly etag: string;
  readonly absent: boolean;
}

/** What a write requires of one stored state: that it is the version an etag names, or that it does not exist. */
export type Precondition = { readonly etag: string } | { readonly absent: true };

/** The precondition `requested` states; INVALID_ARGUMENT (INVALID_PRECONDITION) naming `field` unless exactly one of etag and absent is set. */
export function checkPrecondition(requested: RequestedPrecondition, field: string): Precondition {
  if (requested.absent && requested.etag !== "") throw invalidArgument("INVALID_PRECONDITION", field, "sets both etag and absent; set one");
  if (requested.absent) return { absent: true };
  if (requested.etag === "") throw invalidArgument("INVALID_PRECONDITION", field, "sets neither etag nor absent; set one, or leave the precondition unset");
  return { etag: requested.etag };
}

/** A precondition on the state stored under `key`, as the block key `spelling` of the request named it. */
export interface KeyPrecondition {
  readonly key: string;
  readonly spelling: string;
  readonly precondition: Precondition;
}

/** The etag of every block whose precondition failed, as a STATE_CHANGED error reports it. */
export interface BlockEtag {
  readonly blockKey: string;
  /** "" when the state does not exist. */
  readonly etag: string;
}

/** Blocks reported in one STATE_CHANGED error at most (the rest are counted): an error travels in trailers. */
const maxReportedBlocks = 100;

function stateChangedMessage(currentEtags: readonly BlockEtag[]): string {
  const first = currentEtags[0]!;
  const now = first.etag === "" ? "does not exist" : "was written since";
  const more = currentEtags.length > 1 ? ` (and ${currentEtags.length - 1} more blocks changed)` : "";
  return `${first.blockKey}: the state ${now}${more}; nothing was written: read it again and retry`;
}

/** ABORTED (STATE_CHANGED): a write's precondition did not hold, so nothing of it was applied. */
export class StateChangedError extends LearnerStateError {
  /** The blocks whose precondition failed, in request order, at most 100. */
  readonly currentEtags: readonly BlockEtag[];

  constructor(currentEtags: readonly BlockEtag[]) {
    super("aborted", "STATE_CHANGED", stateChangedMessage(currentEtags), { changedCount: String(currentEtags.length) });
    this.currentEtags = currentEtags.slice(0, maxReportedBlocks);
  }
}

/** Conditions a write requires of stored states, judged under their row locks (see StateStore). */
export interface WriteConditions {
  /** The stored keys the conditions are about, each once. */
  readonly keys: readonly string[];
  /** The error that fails the write, given each key's current version (null: no state), or null when every condition holds. */
  judge(current: ReadonlyMap<string, StateVersion | null>): StateChangedError | null;
}

/** The conditions of `preconditions` (in request order), or null when there are none. */
export function writeConditions(preconditions: readonly KeyPrecondition[]): WriteConditions | null {
  if (preconditions.length === 0) return null;
  return {
    keys: [...new Set(preconditions.map((condition) => condition.key))],
    judge(current) {
      const changed: BlockEtag[] = [];
      for (const { key, spelling, precondition } of preconditions) {
        const version = current.get(key) ?? null;
        const etag = version === null ? "" : etagOf(version.position, version.modified);
        const holds = "absent" in precondition ? version === null : etag === precondition.etag;
        if (!holds) changed.push({ blockKey: spelling, etag });
      }
      return changed.length === 0 ? null : new StateChangedError(changed);
    },
  };
}

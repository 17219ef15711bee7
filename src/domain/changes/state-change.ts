import type { Micros, Scope } from "../state/index.js";

/** What a change did to a stored state (see the contract's ChangeKind). */
export type ChangeKind = "written" | "fields_deleted" | "deleted" | "retired";

/** One committed change of a stored state, as the feed records it. */
export interface StateChange {
  /** Orders the changes of one state as they committed. */
  readonly id: bigint;
  /** Null for a learner's retirement, which spans every scope. */
  readonly scope: Scope | null;
  /** The learner, or "" for state shared by all learners. */
  readonly username: string;
  /** The key the scope stores the state under (state-location.ts); "" for a retirement. */
  readonly stateKey: string;
  /** The learning context the state is filed under; "" where none. */
  readonly contextKey: string;
  readonly blockType: string;
  readonly kind: ChangeKind;
  /** The fields written or removed, sorted. */
  readonly fieldNames: readonly string[];
  readonly modified: Micros;
}

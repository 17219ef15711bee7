import type { BlockAddress } from "./block-address.js";
import { scopeKeyings, type Scope } from "./scope.js";

/**
 * Where the state a block key reaches in one scope is stored, beside whose it
 * is (see {@link ownerOf}).
 */
export interface StateLocation {
  /**
   * What the scope keys state by: the canonical usage key (user_state,
   * user_state_summary), the block's type (preferences), or "" (user_info).
   */
  readonly key: string;
  /** The learning context the state is filed under; "" where the scope binds no course (preferences, user_info). */
  readonly contextKey: string;
  /** The block type the state is filed under; "" for user_info. */
  readonly blockType: string;
}

/** Whose state a call about `username` reaches in `scope`: the learner's, or "" for state shared by all learners. */
export function ownerOf(scope: Scope, username: string): string {
  return scopeKeyings[scope].owner === "shared" ? "" : username;
}

/** Where the state `address`'s block reads in `scope` is stored. Never throws. */
export function locateState(scope: Scope, address: BlockAddress): StateLocation {
  switch (scopeKeyings[scope].by) {
    case "usage":
      return { key: address.usageKey, contextKey: address.contextKey, blockType: address.blockType };
    case "type":
      return { key: address.xblockType, contextKey: "", blockType: address.xblockType };
    case "all":
      return { key: "", contextKey: "", blockType: "" };
  }
}

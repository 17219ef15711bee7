import type { CallLimits, Micros } from "../state/index.js";
import type { CollectedStructure } from "./collected-structure.js";

/** The versions a stored structure was collected at: upstream's BlockStructureModel fields. */
export interface StoredVersion {
  /** Canonical usage key of the root block. */
  readonly rootBlockKey: string;
  /** The learning context, as block structures file it. */
  readonly contextKey: string;
  /** The publisher's content version; null when it sent none. */
  readonly dataVersion: string | null;
  /** When the content was last edited, from the publisher. */
  readonly dataEditTimestamp: Micros;
  /** The registry's write version hash when it was collected. */
  readonly transformersSchemaVersion: string;
  /** The stored format's version. */
  readonly blockStructureSchemaVersion: string;
  readonly blockCount: number;
}

/** What {@link BlockStructureStore.write} did. */
export type WriteOutcome = "stored" | "unchanged" | "stale";

/** A stored structure with the learner state asked for along with it. */
export interface StoredStructure {
  readonly version: StoredVersion;
  /** The collected structure as stored (possibly collected by older transformer versions). */
  readonly structure: CollectedStructure;
  /** Block key → the asked-for fields of the learner's state there, as JSON; blocks without state are absent. */
  readonly userState: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

/** Which learner's state to read with a structure, and which of its fields. */
export interface UserStateRequest {
  readonly username: string;
  readonly fieldNames: readonly string[];
}

/**
 * Persistence of collected structures: upstream's BlockStructureStore and
 * BlockStructureModel. Implementations keep a bounded cache of structures,
 * checked against the database on every read, and raise LearnerStateError
 * "unavailable" when the database cannot be reached.
 */
export interface BlockStructureStore {
  /**
   * Stores `structure` as the course's structure, in one statement, unless
   * the stored one has a later edit timestamp ("stale") or the same
   * timestamp, data version, root and schema versions ("unchanged"). Returns
   * the outcome and the version stored afterwards.
   */
  write(call: CallLimits, version: StoredVersion, structure: CollectedStructure): Promise<{ outcome: WriteOutcome; stored: StoredVersion }>;
  /**
   * The structure of the first of `contextKeys` that has one, and, when
   * `userState` is given, that learner's state of the blocks the structure
   * asks for (its userStateKeys), read in the same statement; null when none
   * of them has a structure.
   */
  read(call: CallLimits, contextKeys: readonly string[], userState: UserStateRequest | null): Promise<StoredStructure | null>;
  /** The learner's state of `blockKeys` (the asked-for fields), for blocks a structure's stored copy did not ask for; one statement. */
  readUserState(call: CallLimits, userState: UserStateRequest, blockKeys: readonly string[]): Promise<ReadonlyMap<string, Readonly<Record<string, unknown>>>>;
  /** The stored version of the first of `contextKeys` that has a structure; null when none has. */
  readVersion(call: CallLimits, contextKeys: readonly string[]): Promise<StoredVersion | null>;
  /** Deletes the structure of `contextKeys`; false when there was none. */
  delete(call: CallLimits, contextKeys: readonly string[]): Promise<boolean>;
}

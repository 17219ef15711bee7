import { LearnerStateError, invalidArgument } from "../errors.js";
import { addressBlock, contextsOfCourse, type BlockAddress } from "./block-address.js";
import { checkFieldName, checkFieldValue } from "./field-value.js";
import { defaultLimits, fixedLimits, type StateLimits } from "./limits.js";
import type { CallLimits } from "./call-limits.js";
import { requireSupportedScope, type Scope } from "./scope.js";
import type { FieldTexts, IterationFilter, Micros, PositionedState, StateStore, StoredHistoryEntry, StoredState } from "./state-store.js";
import { checkUsername } from "./username.js";

/** Which blocks of one learner a read or delete is about. */
export interface BlocksOfLearner {
  readonly username: string;
  readonly scope: Scope;
  readonly blockKeys: readonly string[];
  /** Null: every field. Empty: no field. */
  readonly fieldNames: readonly string[] | null;
}

/** One block's fields to overlay, as the caller sent them. */
export interface BlockFields {
  readonly blockKey: string;
  readonly fields: FieldTexts;
}

/** A state as returned to the caller, its `usageKey` spelled as the caller spelled it. */
export type ReturnedState = StoredState;

/** Where an iteration over many learners' states starts and what it covers. */
export type IterationRequest =
  | { readonly kind: "block"; readonly scope: Scope; readonly blockKey: string }
  | { readonly kind: "course"; readonly scope: Scope; readonly courseKey: string; readonly blockType: string };

/** One batch of an iteration: states in position order (resume after any of them by its position). */
export interface IterationBatch {
  readonly states: readonly PositionedState[];
}

/** The state rules, independent of transport and storage. */
export interface UserStateOperations {
  /** Existing states of the requested blocks, in request order, duplicates once. */
  getMany(call: CallLimits, request: BlocksOfLearner): Promise<ReturnedState[]>;
  /** Overlays each block's fields; returns the new modification times in request order. */
  setMany(call: CallLimits, username: string, scope: Scope, updates: readonly BlockFields[]): Promise<Micros[]>;
  /** Deletes whole states (fieldNames null) or the named fields. */
  deleteMany(call: CallLimits, request: BlocksOfLearner): Promise<void>;
  /** Per-field modification times of the requested blocks. */
  getModDates(call: CallLimits, request: BlocksOfLearner): Promise<Array<{ usageKey: string; fieldName: string; modified: Micros }>>;
  /** The block's history in batches, newest first; NOT_FOUND when it has none. */
  getHistory(call: CallLimits, username: string, scope: Scope, blockKey: string): AsyncIterable<StoredHistoryEntry[]>;
  /** Checks an iteration request and returns the filter it walks (to bind resume tokens to). */
  iterationFilter(request: IterationRequest): IterationFilter;
  /** Current states matching `filter` after `after`, in batches of `batchSize`. */
  iterate(call: CallLimits, filter: IterationFilter, after: bigint | null, batchSize: number): AsyncIterable<IterationBatch>;
}

function checkCount(count: number, max: number, field: string): void {
  if (count === 0) throw invalidArgument("EMPTY_BATCH", field, "must not be empty");
  if (count > max) {
    throw invalidArgument("TOO_MANY_ITEMS", field, `has ${count} entries; at most ${max} are allowed`, {
      count: String(count),
      max: String(max),
    });
  }
}

function checkFieldNames(fieldNames: readonly string[] | null, field: string, maxNames: number): string[] | null {
  if (fieldNames === null) return null;
  if (fieldNames.length > maxNames) {
    throw invalidArgument("TOO_MANY_ITEMS", field, `has ${fieldNames.length} names; at most ${maxNames} are allowed`);
  }
  fieldNames.forEach((name, index) => checkFieldName(name, `${field}[${index}]`));
  return [...new Set(fieldNames)];
}

/**
 * Parses each key once; returns the distinct canonical keys in first-seen order
 * and, for each canonical key, the first spelling the caller used.
 */
function addressAll(blockKeys: readonly string[], field: string): { addresses: BlockAddress[]; spelling: Map<string, string> } {
  const spelling = new Map<string, string>();
  const addresses: BlockAddress[] = [];
  blockKeys.forEach((text, index) => {
    const address = addressBlock(text, `${field}[${index}]`);
    if (!spelling.has(address.usageKey)) {
      spelling.set(address.usageKey, text);
      addresses.push(address);
    }
  });
  return { addresses, spelling };
}

// XBlock type names as the key grammar allows them in `type@…`.
const blockTypePattern = /^[\p{L}\p{N}_\-~.:]{1,255}$/u;

/** The block type filter, or null for "every type"; INVALID_ARGUMENT when no block type could be named so. */
function checkBlockType(blockType: string): string | null {
  if (blockType === "") return null;
  if (!blockTypePattern.test(blockType)) {
    throw invalidArgument("INVALID_BLOCK_TYPE", "block_type", "is not an XBlock type name (letters, digits, _ - ~ . :, at most 255)");
  }
  return blockType;
}

/** Builds the JSON object text of validated fields without re-serialising their values. */
function stateJsonOf(fields: FieldTexts): string {
  return `{${Object.entries(fields)
    .map(([name, value]) => `${JSON.stringify(name)}:${value}`)
    .join(",")}}`;
}

/** Creates the state rules on top of `store`, enforcing `limits`. */
export function createUserStateOperations(store: StateStore, limits: StateLimits = defaultLimits): UserStateOperations {
  function prepareBlocks(request: BlocksOfLearner, maxBlocks: number) {
    checkUsername(request.username);
    const scope = requireSupportedScope(request.scope);
    checkCount(request.blockKeys.length, maxBlocks, "block_keys");
    const { addresses, spelling } = addressAll(request.blockKeys, "block_keys");
    const fieldNames = checkFieldNames(request.fieldNames, "field_selection.field_names", limits.maxFieldsPerBlock);
    return { scope, usageKeys: addresses.map((address) => address.usageKey), spelling, fieldNames };
  }

  return {
    async getMany(call, request) {
      const { scope, usageKeys, spelling, fieldNames } = prepareBlocks(request, limits.maxReadBlocks);
      const states = await store.readStates(call, request.username, scope, usageKeys, fieldNames);
      return states.map((state) => ({ ...state, usageKey: spelling.get(state.usageKey) ?? state.usageKey }));
    },

    async setMany(call, username, scope, updates) {
      checkUsername(username);
      const checkedScope = requireSupportedScope(scope);
      checkCount(updates.length, limits.maxWriteBlocks, "updates");
      const seen = new Map<string, number>();
      const writes = updates.map((update, index) => {
        const path = `updates[${index}]`;
        const address = addressBlock(update.blockKey, `${path}.block_key`);
        const earlier = seen.get(address.usageKey);
        if (earlier !== undefined) {
          throw invalidArgument("DUPLICATE_BLOCK_KEY", `${path}.block_key`, `names the same block as updates[${earlier}]`, {
            key: update.blockKey,
          });
        }
        seen.set(address.usageKey, index);
        const entries = Object.entries(update.fields);
        if (entries.length > limits.maxFieldsPerBlock) {
          throw invalidArgument("TOO_MANY_ITEMS", `${path}.fields`, `has ${entries.length} fields; at most ${limits.maxFieldsPerBlock} are allowed`);
        }
        for (const [name, value] of entries) {
          const fieldPath = `${path}.fields[${JSON.stringify(name)}]`;
          checkFieldName(name, fieldPath);
          checkFieldValue(value, fieldPath, limits);
        }
        return { address, stateJson: stateJsonOf(update.fields) };
      });
      return store.writeStates(call, username, checkedScope, writes, limits.maxStateBytes);
    },

    async deleteMany(call, request) {
      const { scope, usageKeys, fieldNames } = prepareBlocks(request, limits.maxWriteBlocks);
      if (fieldNames === null) return store.deleteStates(call, request.username, scope, usageKeys);
      if (fieldNames.length === 0) return;
      return store.deleteFields(call, request.username, scope, usageKeys, fieldNames);
    },

    async getModDates(call, request) {
      const { scope, usageKeys, spelling, fieldNames } = prepareBlocks(request, limits.maxReadBlocks);
      const times = await store.readFieldTimes(call, request.username, scope, usageKeys, fieldNames);
      return times.map((time) => ({ ...time, usageKey: spelling.get(time.usageKey) ?? time.usageKey }));
    },

    getHistory(call, username, scope, blockKey) {
      checkUsername(username);
      const checkedScope = requireSupportedScope(scope);
      const { usageKey } = addressBlock(blockKey, "block_key");
      return (async function* () {
        let before: bigint | null = null;
        for (;;) {
          const entries = await store.readHistory(call, username, checkedScope, usageKey, before, fixedLimits.blocksPerMessage);
          if (entries.length === 0 && before === null) {
            throw new LearnerStateError("not-found", "STATE_NOT_FOUND", `block_key: ${username} never had state for this block`, {
              username,
              key: blockKey,
            });
          }
          if (entries.length > 0) yield entries;
          if (entries.length < fixedLimits.blocksPerMessage) return;
          before = entries[entries.length - 1]!.position;
        }
      })();
    },

    iterationFilter(request) {
      const scope = requireSupportedScope(request.scope);
      if (request.kind === "block") return { kind: "block", scope, usageKey: addressBlock(request.blockKey, "block_key").usageKey };
      return { kind: "course", scope, contextKeys: contextsOfCourse(request.courseKey, "course_key"), blockType: checkBlockType(request.blockType) };
    },

    iterate(call, filter, after, batchSize) {
      if (batchSize < 0) throw invalidArgument("INVALID_BATCH_SIZE", "batch_size", "must not be negative");
      const size = batchSize === 0 ? fixedLimits.defaultBatchSize : Math.min(batchSize, fixedLimits.maxBatchSize);
      let position = after;
      let finished = false;
      // Written by hand, not as a generator: a suspended generator keeps the
      // last batch it yielded alive, so every stream waiting for a slow reader
      // would hold a page of rows for nothing.
      const pages: AsyncIterator<IterationBatch> = {
        async next() {
          if (finished) return { done: true, value: undefined };
          const states = await store.readPositionedStates(call, filter, position, size);
          finished = states.length < size;
          if (states.length === 0) return { done: true, value: undefined };
          position = states[states.length - 1]!.position;
          return { done: false, value: { states } };
        },
        async return() {
          finished = true;
          return { done: true, value: undefined };
        },
      };
      return { [Symbol.asyncIterator]: () => pages };
    },
  };
}

import { LearnerStateError, invalidArgument } from "../errors.js";
import { addressBlock, contextsOfCourse } from "./block-address.js";
import { checkBlockType } from "./block-type.js";
import { checkFieldName, checkFieldValue } from "./field-value.js";
import { defaultLimits, fixedLimits, type StateLimits } from "./limits.js";
import type { CallLimits } from "./call-limits.js";
import { requireIterableScope, type Scope } from "./scope.js";
import { pagesReadAhead } from "./pages-read-ahead.js";
import { locateState, ownerOf, type StateLocation } from "./state-location.js";
import { withKey, type StatePage } from "./state-page.js";
import type { StateVersion } from "./etag.js";
import { checkPrecondition, writeConditions, type KeyPrecondition, type RequestedPrecondition } from "./preconditions.js";
import type { BlockToRead, FieldTexts, IterationFilter, LearnerErasure, Micros, StateStore } from "./state-store.js";
import { checkUsername } from "./username.js";

/** Which blocks of one learner a read or delete is about. */
export interface BlocksOfLearner {
  readonly username: string;
  readonly scope: Scope;
  readonly blockKeys: readonly string[];
  /** Null: every field. Empty: no field. */
  readonly fieldNames: readonly string[] | null;
}

/** One block's fields to overlay, as the caller sent them, and what the block's state must be for the call to apply. */
export interface BlockFields {
  readonly blockKey: string;
  readonly fields: FieldTexts;
  readonly precondition: RequestedPrecondition | null;
}

/** A deletion: the blocks, and per block key (as spelled in `blockKeys`) what its state must be for the call to apply. */
export interface BlocksToDelete extends BlocksOfLearner {
  readonly preconditions: Readonly<Record<string, RequestedPrecondition>>;
}



/** Where an iteration over many learners' states starts and what it covers. */
export type IterationRequest =
  | { readonly kind: "block"; readonly scope: Scope; readonly blockKey: string }
  | { readonly kind: "course"; readonly scope: Scope; readonly courseKey: string; readonly blockType: string };


/**
 * The state rules, independent of transport and storage. In every scope a
 * block key reaches one stored state (see state-location.ts); in preferences
 * and user_info several keys may reach the same one.
 */
export interface UserStateOperations {
  /**
   * The existing state each requested block key reaches, in request order,
   * a key named twice (in any spelling) once; keys that reach one shared
   * state each get it. Each row's key is the block key as the caller spelled
   * it, its username the learner's, or "" for state shared by all learners;
   * position and time are its version (see etag.ts).
   */
  getMany(call: CallLimits, request: BlocksOfLearner): Promise<StatePage>;
  /**
   * Overlays each update's fields on the state its key reaches, updates that
   * reach one state merged in request order; returns the new version of each
   * update's state, in request order. With preconditions, nothing is written
   * unless all hold (StateChangedError otherwise).
   */
  setMany(call: CallLimits, username: string, scope: Scope, updates: readonly BlockFields[]): Promise<StateVersion[]>;
  /** Deletes whole states (fieldNames null) or the named fields of the states the keys reach, each state once; preconditions as in setMany. */
  deleteMany(call: CallLimits, request: BlocksToDelete): Promise<void>;
  /** Per-field modification times of the state each requested key reaches, in request order. */
  getModDates(call: CallLimits, request: BlocksOfLearner): Promise<Array<{ usageKey: string; fieldName: string; modified: Micros }>>;
  /**
   * The history of the state the key reaches, newest first, in pages of rows
   * as bytes (see StatePage; a deletion's state bounds are -1) whose rows
   * are a multiple of `batchRows` (see messageRows); NOT_FOUND when it
   * has none.
   */
  getHistory(call: CallLimits, username: string, scope: Scope, blockKey: string, batchRows: number): AsyncIterable<StatePage>;
  /**
   * Checks an iteration request and returns the filter it walks (to bind
   * resume tokens to); INVALID_ARGUMENT (UNSUPPORTED_SCOPE) for a scope the
   * iteration does not serve.
   */
  iterationFilter(request: IterationRequest): IterationFilter;
  /** Rows per message of an iteration or a history for the caller's `batch_size` (0: the default; above the maximum: the maximum); negative is INVALID_ARGUMENT. */
  messageRows(batchSize: number): number;
  /**
   * Current states matching `filter` after position `after` (null: from the
   * start), in position order, in pages sized for the database (see
   * page-sizing.ts) whose rows are a multiple of `batchRows` (see
   * messageRows): resume after any row by its position.
   */
  iterate(call: CallLimits, filter: IterationFilter, after: bigint | null, batchRows: number): AsyncIterable<StatePage>;
  /** Erases everything stored for `username` in every scope and course, with its history; returns what was erased. */
  retireLearner(call: CallLimits, username: string): Promise<LearnerErasure>;
}

/** The position of the last row of `page`, which has rows. */
function lastPosition(page: StatePage): bigint {
  return page.positions[page.rows - 1]!;
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

/** The distinct stored keys of `blocks`, in first-seen order. */
const storedKeys = (blocks: readonly BlockToRead[]): string[] => [...new Set(blocks.map((block) => block.key))];

/**
 * Parses each key once; returns the distinct blocks in first-seen order, each
 * with the first spelling the caller used and the key its state in `scope` is
 * stored under.
 */
function locateAll(scope: Scope, blockKeys: readonly string[], field: string): BlockToRead[] {
  const seen = new Set<string>();
  const requested: BlockToRead[] = [];
  blockKeys.forEach((text, index) => {
    const address = addressBlock(text, field, index);
    if (!seen.has(address.usageKey)) {
      seen.add(address.usageKey);
      requested.push({ spelling: text, key: locateState(scope, address).key });
    }
  });
  return requested;
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
    checkCount(request.blockKeys.length, maxBlocks, "block_keys");
    const requested = locateAll(request.scope, request.blockKeys, "block_keys");
    const fieldNames = checkFieldNames(request.fieldNames, "field_selection.field_names", limits.maxFieldsPerBlock);
    return { owner: ownerOf(request.scope, request.username), requested, fieldNames };
  }

  return {
    async getMany(call, request) {
      const { owner, requested, fieldNames } = prepareBlocks(request, limits.maxReadBlocks);
      return store.readStates(call, owner, request.scope, requested, fieldNames);
    },

    async setMany(call, username, scope, updates) {
      checkUsername(username);
      checkCount(updates.length, limits.maxWriteBlocks, "updates");
      const seen = new Map<string, number>();
      const preconditions: KeyPrecondition[] = [];
      // Updates whose keys reach one stored state, merged in request order (a
      // later value wins, as applying them one after the other would leave it).
      const writes = new Map<string, { location: StateLocation; fields: FieldTexts }>();
      const keyOfUpdate = updates.map((update, index) => {
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
        const location = locateState(scope, address);
        if (update.precondition !== null) {
          preconditions.push({ key: location.key, spelling: update.blockKey, precondition: checkPrecondition(update.precondition, `${path}.precondition`) });
        }
        const earlierWrite = writes.get(location.key);
        // Spread, not Object.assign: a field may be named "__proto__".
        if (earlierWrite === undefined) writes.set(location.key, { location, fields: update.fields });
        else earlierWrite.fields = { ...earlierWrite.fields, ...update.fields };
        return location.key;
      });
      const stored = [...writes.values()];
      const versions = await store.writeStates(
        call,
        ownerOf(scope, username),
        scope,
        stored.map((write) => ({ location: write.location, stateJson: stateJsonOf(write.fields) })),
        limits.maxStateBytes,
        writeConditions(preconditions),
      );
      const versionOfKey = new Map(stored.map((write, index) => [write.location.key, versions[index]!]));
      return keyOfUpdate.map((key) => versionOfKey.get(key)!);
    },

    async deleteMany(call, request) {
      const { owner, requested, fieldNames } = prepareBlocks(request, limits.maxWriteBlocks);
      const keys = storedKeys(requested);
      const listed = new Set(request.blockKeys);
      const preconditions = Object.entries(request.preconditions).map(([spelling, precondition]): KeyPrecondition => {
        const field = `preconditions[${JSON.stringify(spelling)}]`;
        if (!listed.has(spelling)) throw invalidArgument("INVALID_PRECONDITION", field, "names a block key that is not in block_keys", { key: spelling });
        const { key } = locateState(request.scope, addressBlock(spelling, field));
        return { key, spelling, precondition: checkPrecondition(precondition, field) };
      });
      const conditions = writeConditions(preconditions);
      if (fieldNames === null) return store.deleteStates(call, owner, request.scope, keys, conditions);
      // An empty selection deletes nothing, but its preconditions are still judged.
      if (fieldNames.length === 0 && conditions === null) return;
      return store.deleteFields(call, owner, request.scope, keys, fieldNames, conditions);
    },

    async getModDates(call, request) {
      const { owner, requested, fieldNames } = prepareBlocks(request, limits.maxReadBlocks);
      return store.readFieldTimes(call, owner, request.scope, requested, fieldNames);
    },

    getHistory(call, username, scope, blockKey, batchRows) {
      checkUsername(username);
      const { key } = locateState(scope, addressBlock(blockKey, "block_key"));
      const owner = ownerOf(scope, username);
      const pages = pagesReadAhead(
        (previous, rows) => store.readHistoryPage(call, owner, scope, key, previous === null ? null : lastPosition(previous), rows),
        batchRows,
      );
      const notFound = () => {
        const never = owner === "" ? `this block never had ${scope} state` : `${username} never had ${scope} state for this block`;
        return new LearnerStateError("not-found", "STATE_NOT_FOUND", `block_key: ${never}`, { username, key: blockKey });
      };
      return {
        [Symbol.asyncIterator]() {
          const inner = pages[Symbol.asyncIterator]();
          let first = true;
          return {
            async next() {
              const read = await inner.next();
              if (read.done && first) throw notFound();
              first = false;
              return read;
            },
            return: () => inner.return!(),
          };
        },
      };
    },

    iterationFilter(request) {
      const scope = requireIterableScope(request.scope, request.kind);
      if (request.kind === "block") {
        const address = addressBlock(request.blockKey, "block_key");
        return { kind: "block", scope, usageKey: address.usageKey, key: locateState(scope, address).key };
      }
      return { kind: "course", scope, contextKeys: contextsOfCourse(request.courseKey, "course_key"), blockType: request.blockType === "" ? null : checkBlockType(request.blockType, "block_type") };
    },

    messageRows(batchSize) {
      if (batchSize < 0) throw invalidArgument("INVALID_BATCH_SIZE", "batch_size", "must not be negative");
      return batchSize === 0 ? fixedLimits.defaultBatchSize : Math.min(batchSize, fixedLimits.maxBatchSize);
    },

    iterate(call, filter, after, batchRows) {
      // Preferences are stored under the block type: answer under the block the caller named.
      const relabel = filter.kind === "block" && filter.key !== filter.usageKey;
      return pagesReadAhead(async (previous, rows) => {
        const page = await store.readStatePage(call, filter, previous === null ? after : lastPosition(previous), rows);
        return relabel ? withKey(page, filter.usageKey) : page;
      }, batchRows);
    },

    async retireLearner(call, username) {
      checkUsername(username);
      return store.eraseLearner(call, username);
    },
  };
}

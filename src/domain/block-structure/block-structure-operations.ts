import { LearnerStateError, invalidArgument } from "../errors.js";
import { checkFieldName, checkUsername, contextsOfCourse, type CallLimits, type Micros } from "../state/index.js";
import { createBlockStructure } from "./block-structure.js";
import type { BlockStructureStore, StoredStructure, StoredVersion, WriteOutcome } from "./block-structure-store.js";
import { blockStructureSchemaVersion, withoutCollectedData, type CollectedStructure, type TransformerValue, type XBlockFieldTexts } from "./collected-structure.js";
import { parseBlockKey, readStructureInput, structureContextOf, type StructureInput, type StructureLimits } from "./structure-input.js";
import type { TransformOptions, UsageInfo } from "./transformer.js";
import type { TransformerRegistry } from "./transformer-registry.js";

/** A publisher's update: the graph and the content's version. */
export interface StructureUpdate extends StructureInput {
  /** Empty: none. */
  readonly dataVersion: string;
  /** Required; null is INVALID_ARGUMENT. */
  readonly dataEditTimestamp: Micros | null;
}

/** What to transform, for whom, and what to return. */
export interface TransformRequest {
  /** Exactly one of courseKey and startingBlockKey is set. */
  readonly courseKey: string | null;
  readonly startingBlockKey: string | null;
  /** Empty: anonymous (no state-reading transformer may run). */
  readonly username: string;
  readonly hasStaffAccess: boolean;
  /** Epoch milliseconds to evaluate dates at; null: now. */
  readonly evaluateAtMs: number | null;
  /** The learner's group in each user partition, by partition id (at most {@link maxPartitionGroups}). */
  readonly partitionGroups: ReadonlyMap<number, number>;
  readonly transformers: readonly string[];
  readonly requestedFields: readonly string[];
  readonly options: TransformOptions;
}

/** One block as the learner sees it. */
export interface TransformedBlock {
  readonly key: string;
  readonly blockType: string;
  /** Surviving children, in course order. */
  readonly children: readonly string[];
  /** The requested XBlock fields the block has. */
  readonly fields: XBlockFieldTexts;
  /** Transformer name → what it computed for the block; transformers with nothing to say are absent. */
  readonly outputs: Readonly<Record<string, Readonly<Record<string, TransformerValue>>>>;
}

/** A transformed structure, its blocks in topological order. */
export interface TransformedStructure {
  readonly version: StoredVersion;
  /** The block the transformation started at. */
  readonly rootKey: string;
  readonly evaluatedAtMs: number;
  readonly blocks: readonly TransformedBlock[];
}

/** The block structure rules, independent of transport and storage. */
export interface BlockStructureOperations {
  /** Checks, collects and stores a published graph (see BlockStructureStore.write). */
  updateCollected(call: CallLimits, update: StructureUpdate): Promise<{ outcome: WriteOutcome; stored: StoredVersion }>;
  /** The course's structure as this server's transformers collect it; NOT_FOUND when it has none. */
  getCollected(call: CallLimits, courseKey: string): Promise<{ version: StoredVersion; structure: CollectedStructure }>;
  /** Whether the stored structure matches the content version and this server's transformers (upstream's `is_up_to_date`). */
  isUpToDate(call: CallLimits, courseKey: string, dataVersion: string, dataEditTimestamp: Micros | null): Promise<{ upToDate: boolean; stored: StoredVersion | null }>;
  /** Deletes the course's structure; NOT_FOUND when it has none. */
  clear(call: CallLimits, courseKey: string): Promise<void>;
  /** The structure as one learner sees it (see BlockStructureService.GetTransformed in the contract). */
  getTransformed(call: CallLimits, request: TransformRequest): Promise<TransformedStructure>;
}

/** Longest data version (upstream's column holds 255 characters). */
const maxDataVersionLength = 255;
/** Most transformers one request may name. */
const maxTransformers = 100;
/** Most partitions one request may give the learner's group in. */
const maxPartitionGroups = 1000;

function notFound(courseKey: string): LearnerStateError {
  return new LearnerStateError("not-found", "BLOCK_STRUCTURE_NOT_FOUND", `no block structure is stored for ${courseKey}`, { courseKey });
}

function requireTimestamp(value: Micros | null, field: string): Micros {
  if (value === null) throw invalidArgument("MISSING_FIELD", field, "is required");
  return value;
}

function checkCount(count: number, max: number, field: string): void {
  if (count > max) throw invalidArgument("TOO_MANY_ITEMS", field, `has ${count} entries; at most ${max} are allowed`, { count: String(count), max: String(max) });
}

function checkDepth(depth: number | null, field: string): void {
  if (depth !== null && depth < 0) throw invalidArgument("INVALID_TRANSFORMER_OPTION", field, `must not be negative, got ${depth}`);
}

/** Canonical key and structure context of a starting block; INVALID_ARGUMENT (INVALID_USAGE_KEY) when it does not parse. */
function startingBlock(text: string): { key: string; contextKey: string } {
  const key = parseBlockKey(text, "starting_block_key");
  return { key: key.toString(), contextKey: structureContextOf(key) };
}

/**
 * The block structure rules over `store`, with the transformers of
 * `registry` and the per-call `limits`.
 */
export function createBlockStructureOperations(store: BlockStructureStore, registry: TransformerRegistry, limits: StructureLimits): BlockStructureOperations {
  // A stored structure collected by transformer versions older than the
  // registered ones is collected again from its blocks, once per stored copy
  // (the store's cache keeps the copy, and this map follows it).
  const recollected = new WeakMap<CollectedStructure, CollectedStructure>();
  function current(stored: CollectedStructure): CollectedStructure {
    if (registry.outdated(stored).length === 0) return stored;
    let fresh = recollected.get(stored);
    if (fresh === undefined) {
      const structure = createBlockStructure(withoutCollectedData(stored));
      registry.collect(structure);
      fresh = structure.toCollected();
      recollected.set(stored, fresh);
    }
    return fresh;
  }

  async function readStored(call: CallLimits, courseKey: string): Promise<StoredStructure> {
    const stored = await store.read(call, contextsOfCourse(courseKey, "course_key"), null);
    if (stored === null) throw notFound(courseKey);
    return stored;
  }

  return {
    async updateCollected(call, update) {
      const dataEditTimestamp = requireTimestamp(update.dataEditTimestamp, "data_edit_timestamp");
      if (update.dataVersion.length > maxDataVersionLength) {
        throw invalidArgument("INVALID_DATA_VERSION", "data_version", `is longer than ${maxDataVersionLength} characters`);
      }
      const { structure: input, contextKey } = readStructureInput(update, limits);
      const structure = createBlockStructure(input);
      registry.collect(structure);
      const collected = structure.toCollected();
      return store.write(
        call,
        {
          rootBlockKey: collected.rootKey,
          contextKey,
          dataVersion: update.dataVersion === "" ? null : update.dataVersion,
          dataEditTimestamp,
          transformersSchemaVersion: registry.writeVersionHash(),
          blockStructureSchemaVersion,
          blockCount: collected.blocks.size,
        },
        collected,
      );
    },

    async getCollected(call, courseKey) {
      const stored = await readStored(call, courseKey);
      return { version: stored.version, structure: current(stored.structure) };
    },

    async isUpToDate(call, courseKey, dataVersion, dataEditTimestamp) {
      const editTimestamp = requireTimestamp(dataEditTimestamp, "data_edit_timestamp");
      const stored = await store.readVersion(call, contextsOfCourse(courseKey, "course_key"));
      const upToDate =
        stored !== null &&
        stored.dataVersion === (dataVersion === "" ? null : dataVersion) &&
        stored.dataEditTimestamp === editTimestamp &&
        stored.transformersSchemaVersion === registry.writeVersionHash() &&
        stored.blockStructureSchemaVersion === blockStructureSchemaVersion;
      return { upToDate, stored };
    },

    async clear(call, courseKey) {
      if (!(await store.delete(call, contextsOfCourse(courseKey, "course_key")))) throw notFound(courseKey);
    },

    async getTransformed(call, request) {
      checkCount(request.transformers.length, maxTransformers, "transformers");
      const chosen = registry.resolve(request.transformers);
      const stateFields = [...new Set(chosen.flatMap((transformer) => transformer.userStateFields))];
      if (stateFields.length > 0 || request.username !== "") checkUsername(request.username, "learner.username");
      checkCount(request.requestedFields.length, limits.maxFieldsPerBlock, "requested_fields");
      request.requestedFields.forEach((name, index) => checkFieldName(name, `requested_fields[${index}]`));
      checkCount(request.options.blockTypesToCount.length, limits.maxFieldsPerBlock, "options.block_types_to_count");
      request.options.blockTypesToCount.forEach((type, index) => checkFieldName(type, `options.block_types_to_count[${index}]`));
      checkDepth(request.options.requestedDepth, "options.requested_depth");
      checkDepth(request.options.navigationDepth, "options.navigation_depth");
      checkCount(request.partitionGroups.size, maxPartitionGroups, "learner.user_partition_groups");

      let contexts: string[];
      let start: string | null = null;
      let named: string;
      if (request.startingBlockKey !== null) {
        const block = startingBlock(request.startingBlockKey);
        contexts = [block.contextKey];
        start = block.key;
        named = block.contextKey;
      } else if (request.courseKey !== null) {
        contexts = contextsOfCourse(request.courseKey, "course_key");
        named = request.courseKey;
      } else {
        throw invalidArgument("MISSING_FIELD", "course_key", "one of course_key and starting_block_key is required");
      }

      const userStateRequest = stateFields.length > 0 ? { username: request.username, fieldNames: stateFields } : null;
      const stored = await store.read(call, contexts, userStateRequest);
      if (stored === null) throw notFound(named);
      const collected = current(stored.structure);
      if (start !== null && !collected.blocks.has(start)) {
        throw new LearnerStateError("not-found", "USAGE_KEY_NOT_IN_BLOCK_STRUCTURE", `${start} is not in the block structure of ${stored.version.contextKey}`, {
          key: start,
          courseKey: stored.version.contextKey,
        });
      }

      let userState = stored.userState;
      if (userStateRequest !== null && collected !== stored.structure) {
        // Collected again: newer transformers may read the state of blocks
        // the stored copy did not ask for (until the course is published again).
        const asked = new Set(stored.structure.userStateKeys);
        const missing = collected.userStateKeys.filter((key) => !asked.has(key));
        if (missing.length > 0) userState = new Map([...userState, ...(await store.readUserState(call, userStateRequest, missing))]);
      }

      const structure = createBlockStructure(collected);
      if (start !== null && start !== structure.rootKey) {
        structure.setRootBlock(start);
        structure.pruneUnreachable();
      }
      const nowMs = request.evaluateAtMs ?? Date.now();
      const usage: UsageInfo = {
        username: request.username === "" ? null : request.username,
        hasStaffAccess: request.hasStaffAccess,
        nowMs,
        partitionGroups: request.partitionGroups,
        options: request.options,
        userStateOf: (key, field) => userState.get(key)?.[field],
      };
      registry.transform(structure, usage, chosen);

      const blocks: TransformedBlock[] = [];
      for (const key of structure.topologicalTraversal()) {
        const fields: Record<string, string> = {};
        for (const name of request.requestedFields) {
          const text = structure.fieldTextOf(key, name);
          if (text !== undefined) fields[name] = text;
        }
        const outputs: Record<string, Readonly<Record<string, TransformerValue>>> = {};
        for (const transformer of chosen) {
          const output = transformer.outputOf?.(usage, structure, key);
          if (output !== undefined) outputs[transformer.name] = output;
        }
        // The structure is dropped after the call, so its children lists are not copied.
        blocks.push({ key, blockType: structure.blockTypeOf(key)!, children: structure.childrenOf(key), fields, outputs });
      }
      return { version: stored.version, rootKey: structure.rootKey, evaluatedAtMs: nowMs, blocks };
    },
  };
}

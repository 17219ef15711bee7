import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  CollectedBlockSchema,
  StructureVersionSchema,
  TransformedBlockSchema,
  TransformerFieldsSchema,
  type StructureVersion,
  type TransformerFields,
} from "../../gen/learnerstate/v1/block_structure_pb.js";
import { BlockStructureService, UpdateOutcome } from "../../gen/learnerstate/v1/block_structure_service_pb.js";
import type { BlockStructureOperations, CollectedBlock, CollectedStructure, StoredVersion, TransformedBlock, TransformerValue, WriteOutcome } from "../domain/block-structure/index.js";
import { batchesWithin } from "./batches.js";
import { messageBudgetBytes } from "./block-states-response.js";
import { callLimitsOf } from "./call-limits-of.js";
import { microsFromTimestamp, timestampFromMicros } from "./timestamp.js";

// Generated message types stop here: requests are read field by field into
// plain domain values, and responses are built field by field from them.

/** Blocks per streamed message at most. */
const blocksPerMessage = 100;

const outcomes: Record<WriteOutcome, UpdateOutcome> = {
  stored: UpdateOutcome.STORED,
  unchanged: UpdateOutcome.UNCHANGED,
  stale: UpdateOutcome.STALE,
};

function versionMessage(version: StoredVersion): StructureVersion {
  return create(StructureVersionSchema, {
    rootBlockKey: version.rootBlockKey,
    courseKey: version.contextKey,
    dataVersion: version.dataVersion ?? "",
    dataEditTimestamp: timestampFromMicros(version.dataEditTimestamp),
    transformersSchemaVersion: version.transformersSchemaVersion,
    blockStructureSchemaVersion: version.blockStructureSchemaVersion,
    blockCount: version.blockCount,
  });
}

/** Each value as its JSON text. */
function fieldsMessage(values: Readonly<Record<string, TransformerValue>>): TransformerFields {
  return create(TransformerFieldsSchema, { fields: Object.fromEntries(Object.entries(values).map(([name, value]) => [name, JSON.stringify(value)])) });
}

/** A rough size of a block on the wire, to keep messages under {@link messageBudgetBytes}. */
function transformedBytes(block: TransformedBlock): number {
  let bytes = block.key.length + block.blockType.length + 16;
  for (const child of block.children) bytes += child.length + 2;
  for (const [name, text] of Object.entries(block.fields)) bytes += name.length + Buffer.byteLength(text) + 8;
  for (const [name, output] of block.outputs) bytes += name.length + JSON.stringify(output).length + 16;
  return bytes;
}

/** A rough size of a collected block on the wire (its fields; transformer data is small). */
function collectedBytes(block: CollectedBlock): number {
  let bytes = block.key.length + block.blockType.length + 64;
  for (const key of [...block.children, ...block.parents]) bytes += key.length + 2;
  for (const [name, text] of Object.entries(block.fields)) bytes += name.length + Buffer.byteLength(text) + 8;
  return bytes;
}

function collectedBlockMessages(structure: CollectedStructure, blocks: readonly CollectedBlock[]) {
  return blocks.map((block) => {
    const transformerData: Record<string, TransformerFields> = {};
    for (const [name, collected] of structure.transformers) {
      const values = collected.blocks.get(block.key);
      if (values !== undefined) transformerData[name] = fieldsMessage(values);
    }
    return create(CollectedBlockSchema, {
      blockKey: block.key,
      blockType: block.blockType,
      children: [...block.children],
      parents: [...block.parents],
      fields: { ...block.fields },
      transformerData,
    });
  });
}

/** Implements learnerstate.v1.BlockStructureService on top of the block structure rules. */
export function createBlockStructureService(operations: BlockStructureOperations): ServiceImpl<typeof BlockStructureService> {
  return {
    async updateCollected(request, context) {
      const { outcome, stored } = await operations.updateCollected(callLimitsOf(context), {
        rootBlockKey: request.rootBlockKey,
        blocks: request.blocks.map((block) => ({ blockKey: block.blockKey, blockType: block.blockType, children: block.children, fields: block.fields })),
        dataVersion: request.dataVersion,
        dataEditTimestamp: microsFromTimestamp(request.dataEditTimestamp),
      });
      return { outcome: outcomes[outcome], stored: versionMessage(stored) };
    },

    async *getCollected(request, context) {
      const { version, structure } = await operations.getCollected(callLimitsOf(context), request.courseKey);
      const transformerData = Object.fromEntries(
        [...structure.transformers].map(([name, collected]) => [name, fieldsMessage({ ...collected.data, _version: collected.version })]),
      );
      let first = true;
      for (const batch of batchesWithin([...structure.blocks.values()], blocksPerMessage, messageBudgetBytes, collectedBytes)) {
        const blocks = collectedBlockMessages(structure, batch);
        yield first ? { version: versionMessage(version), transformerData, blocks } : { blocks };
        first = false;
      }
    },

    async isUpToDate(request, context) {
      const { upToDate, stored } = await operations.isUpToDate(callLimitsOf(context), request.courseKey, request.dataVersion, microsFromTimestamp(request.dataEditTimestamp));
      return { upToDate, stored: stored === null ? undefined : versionMessage(stored) };
    },

    async clearBlockStructure(request, context) {
      await operations.clear(callLimitsOf(context), request.courseKey);
      return {};
    },

    async *getTransformed(request, context) {
      const evaluateAt = microsFromTimestamp(request.learner?.evaluateAt);
      const transformed = await operations.getTransformed(callLimitsOf(context), {
        courseKey: request.start.case === "courseKey" ? request.start.value : null,
        startingBlockKey: request.start.case === "startingBlockKey" ? request.start.value : null,
        username: request.learner?.username ?? "",
        hasStaffAccess: request.learner?.hasStaffAccess ?? false,
        evaluateAtMs: evaluateAt === null ? null : Number(evaluateAt / 1000n),
        transformers: request.transformers,
        requestedFields: request.requestedFields,
        options: {
          blockTypesToCount: request.options?.blockTypesToCount ?? [],
          requestedDepth: request.options?.requestedDepth ?? null,
          navigationDepth: request.options?.navigationDepth ?? null,
        },
      });
      const header = {
        version: versionMessage(transformed.version),
        rootBlockKey: transformed.rootKey,
        evaluatedAt: timestampFromMicros(BigInt(transformed.evaluatedAtMs) * 1000n),
      };
      let first = true;
      for (const batch of batchesWithin(transformed.blocks, blocksPerMessage, messageBudgetBytes, transformedBytes)) {
        const blocks = batch.map((block) =>
          create(TransformedBlockSchema, {
            blockKey: block.key,
            blockType: block.blockType,
            children: [...block.children],
            fields: { ...block.fields },
            transformerFields: Object.fromEntries([...block.outputs].map(([name, output]) => [name, fieldsMessage(output)])),
          }),
        );
        yield first ? { ...header, blocks } : { blocks };
        first = false;
      }
      // An empty result (every block removed) still says what was transformed.
      if (first) yield header;
    },
  };
}

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
import { BlockStructureService, GetTransformedResponseSchema, UpdateOutcome } from "../../gen/learnerstate/v1/block_structure_service_pb.js";
import type { BlockStructureOperations, CollectedBlock, CollectedStructure, StoredVersion, TransformedBlock, TransformerValue, WriteOutcome } from "../domain/block-structure/index.js";
import { batchesWithin } from "./batches.js";
import { answersInBinary, messageBudgetBytes } from "./block-states-response.js";
import { callLimitsOf } from "./call-limits-of.js";
import { microsFromTimestamp, timestampFromMicros } from "./timestamp.js";
import { encodeTransformedBlockFields, type TransformedBlockTexts } from "./transformed-block-encoding.js";

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

/** A block's values as the texts that go on the wire: transformer outputs as JSON texts, each written once. */
function textsOf(block: TransformedBlock): TransformedBlockTexts {
  const transformerFields: Record<string, Record<string, string>> = {};
  for (const name in block.outputs) {
    const output = block.outputs[name]!;
    const texts: Record<string, string> = {};
    for (const field in output) texts[field] = JSON.stringify(output[field]);
    transformerFields[name] = texts;
  }
  return { blockKey: block.key, blockType: block.blockType, children: block.children, fields: block.fields, transformerFields };
}

/** What a block weighs in a JSON message: its texts, with room for the escaping JSON adds to JSON texts inside strings. */
function jsonWeight(block: TransformedBlockTexts): number {
  let bytes = block.blockKey.length + block.blockType.length + 32;
  for (const child of block.children) bytes += child.length + 4;
  for (const name in block.fields) bytes += 2 * (name.length + Buffer.byteLength(block.fields[name]!)) + 8;
  for (const transformer in block.transformerFields) {
    const fields = block.transformerFields[transformer]!;
    for (const name in fields) bytes += 2 * (name.length + Buffer.byteLength(fields[name]!)) + 16;
  }
  return bytes;
}

function transformedBlockMessage(block: TransformedBlockTexts) {
  return create(TransformedBlockSchema, {
    blockKey: block.blockKey,
    blockType: block.blockType,
    children: [...block.children],
    fields: { ...block.fields },
    transformerFields: Object.fromEntries(Object.entries(block.transformerFields).map(([name, fields]) => [name, create(TransformerFieldsSchema, { fields: { ...fields } })])),
  });
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
        partitionGroups: new Map(Object.entries(request.learner?.userPartitionGroups ?? {}).map(([partition, group]) => [Number(partition), group])),
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
      // Binary answers are encoded here (transformed-block-encoding.ts):
      // protobuf-es's reflective encoder cost several times more CPU than
      // the whole transformation. JSON answers get plain messages.
      const texts = transformed.blocks.map(textsOf);
      const encoded = answersInBinary(context.requestHeader.get("content-type")) ? encodeTransformedBlockFields(texts) : null;
      const indexes = texts.map((_, index) => index);
      const weightOf = encoded === null ? (index: number) => jsonWeight(texts[index]!) : (index: number) => encoded[index]!.data.length + 1;
      let first = true;
      for (const batch of batchesWithin(indexes, blocksPerMessage, messageBudgetBytes, weightOf)) {
        const message = create(GetTransformedResponseSchema, first ? header : {});
        if (encoded === null) message.blocks = batch.map((index) => transformedBlockMessage(texts[index]!));
        else message.$unknown = batch.map((index) => encoded[index]!);
        yield message;
        first = false;
      }
      // An empty result (every block removed) still says what was transformed.
      if (first) yield header;
    },
  };
}

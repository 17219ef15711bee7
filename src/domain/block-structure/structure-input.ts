import { invalidArgument } from "../errors.js";
import { InvalidKeyError, parseUsageKey, type UsageKey } from "../keys/index.js";
import { checkFieldName, checkFieldValue, type StateLimits } from "../state/index.js";
import type { CollectedBlock, CollectedStructure, XBlockFieldTexts } from "./collected-structure.js";
import { traverseTopologically } from "./traversals.js";
import { checkXBlockField } from "./xblock-fields.js";

/** One block as the publisher sends it. */
export interface BlockInput {
  readonly blockKey: string;
  /** Empty: the type in the key. */
  readonly blockType: string;
  readonly children: readonly string[];
  readonly fields: XBlockFieldTexts;
}

/** A course's block graph as the publisher sends it. */
export interface StructureInput {
  readonly rootBlockKey: string;
  readonly blocks: readonly BlockInput[];
}

/** Limits of a published graph: the state limits for its fields, and its size. */
export interface StructureLimits extends StateLimits {
  /** Blocks in one structure (MAX_STRUCTURE_BLOCKS). */
  readonly maxStructureBlocks: number;
}

/** The key text of a usage key's learning context as block structures file it. */
export function structureContextOf(key: UsageKey): string {
  const context = key.contextKey;
  return context.run === null && context.deprecated ? `${context.org}/${context.course}` : context.toString();
}

/** Parses the usage key of request field `field`; INVALID_ARGUMENT (INVALID_USAGE_KEY) naming it when it does not parse. */
export function parseBlockKey(text: string, field: string): UsageKey {
  try {
    return parseUsageKey(text);
  } catch (error) {
    if (error instanceof InvalidKeyError) {
      throw invalidArgument("INVALID_USAGE_KEY", field, `${JSON.stringify(text.slice(0, 200))} is not a usage key: ${error.reason}`, { key: text.slice(0, 200) });
    }
    throw error;
  }
}

/**
 * Checks a published graph and returns it as a structure with nothing
 * collected yet, and the course it belongs to. The graph must be a DAG in
 * which the root reaches every block; each failure is INVALID_ARGUMENT naming
 * the request field and the block: INVALID_USAGE_KEY, TOO_MANY_ITEMS,
 * DUPLICATE_BLOCK_KEY, BLOCK_OUTSIDE_CONTEXT, BLOCK_TYPE_MISMATCH,
 * INVALID_FIELD_NAME, INVALID_FIELD_VALUE, INVALID_XBLOCK_FIELD (and
 * RESOURCE_EXHAUSTED FIELD_TOO_LARGE), CHILD_NOT_SENT, DUPLICATE_CHILD,
 * ROOT_BLOCK_NOT_SENT, BLOCK_GRAPH_CYCLE, BLOCK_UNREACHABLE.
 */
export function readStructureInput(input: StructureInput, limits: StructureLimits): { structure: CollectedStructure; contextKey: string } {
  const root = parseBlockKey(input.rootBlockKey, "root_block_key");
  const contextKey = structureContextOf(root);
  const rootKey = root.toString();
  if (input.blocks.length > limits.maxStructureBlocks) {
    throw invalidArgument("TOO_MANY_ITEMS", "blocks", `has ${input.blocks.length} blocks; at most ${limits.maxStructureBlocks} are allowed`, {
      count: String(input.blocks.length),
      max: String(limits.maxStructureBlocks),
    });
  }

  // Keys and fields of every block first, so that children can be checked against all of them.
  const parsed = input.blocks.map((block, index) => {
    const field = `blocks[${index}]`;
    const key = parseBlockKey(block.blockKey, `${field}.block_key`);
    if (structureContextOf(key) !== contextKey) {
      throw invalidArgument("BLOCK_OUTSIDE_CONTEXT", `${field}.block_key`, `${key.toString()} is not in ${contextKey}, the root's course`, { key: key.toString(), course: contextKey });
    }
    if (block.blockType !== "" && block.blockType !== key.blockType) {
      throw invalidArgument("BLOCK_TYPE_MISMATCH", `${field}.block_type`, `${block.blockType} is not the type in ${key.toString()}`, { key: key.toString() });
    }
    const names = Object.keys(block.fields);
    if (names.length > limits.maxFieldsPerBlock) {
      throw invalidArgument("TOO_MANY_ITEMS", `${field}.fields`, `has ${names.length} fields; at most ${limits.maxFieldsPerBlock} are allowed`, {
        count: String(names.length),
        max: String(limits.maxFieldsPerBlock),
      });
    }
    for (const name of names) {
      const path = `${field}.fields[${JSON.stringify(name)}]`;
      checkFieldName(name, path);
      checkFieldValue(block.fields[name]!, path, limits);
      checkXBlockField(name, block.fields[name]!, path);
    }
    return { key, text: key.toString() };
  });
  const positions = new Map<string, number>();
  parsed.forEach(({ text }, index) => {
    if (positions.has(text)) throw invalidArgument("DUPLICATE_BLOCK_KEY", `blocks[${index}].block_key`, `${text} is sent twice`, { key: text });
    positions.set(text, index);
  });

  const childrenOf = input.blocks.map((block, index) => {
    const seen = new Set<string>();
    return block.children.map((child, position) => {
      const field = `blocks[${index}].children[${position}]`;
      const text = parseBlockKey(child, field).toString();
      if (!positions.has(text)) throw invalidArgument("CHILD_NOT_SENT", field, `${text}, a child of ${parsed[index]!.text}, is not one of the blocks sent`, { key: text });
      if (seen.has(text)) throw invalidArgument("DUPLICATE_CHILD", field, `${text} is a child of ${parsed[index]!.text} twice`, { key: text });
      seen.add(text);
      return text;
    });
  });
  const rootPosition = positions.get(rootKey);
  if (rootPosition === undefined) throw invalidArgument("ROOT_BLOCK_NOT_SENT", "root_block_key", `${rootKey} is not one of the blocks sent`, { key: rootKey });

  checkAcyclicAndReachable(rootPosition, childrenOf, positions, parsed.map(({ text }) => text));
  const parents = new Map<string, string[]>(parsed.map(({ text }) => [text, []]));
  childrenOf.forEach((children, position) => {
    for (const child of children) parents.get(child)!.push(parsed[position]!.text);
  });
  const blocks = new Map<string, CollectedBlock>();
  for (const text of traverseTopologically(rootKey, (key) => parents.get(key)!, (key) => childrenOf[positions.get(key)!]!)) {
    const position = positions.get(text)!;
    const { key } = parsed[position]!;
    blocks.set(text, { key: text, blockType: key.blockType, blockId: key.blockId, children: childrenOf[position]!, parents: parents.get(text)!, fields: { ...input.blocks[position]!.fields } });
  }
  return { structure: { rootKey, blocks, transformers: new Map(), userStateKeys: [] }, contextKey };
}

/**
 * Walks the graph depth first from the root. Throws BLOCK_GRAPH_CYCLE at the
 * first edge back to a block on the current path, and BLOCK_UNREACHABLE for
 * the first block (in request order) the root does not reach.
 */
function checkAcyclicAndReachable(rootPosition: number, childrenOf: ReadonlyArray<readonly string[]>, positions: ReadonlyMap<string, number>, keys: readonly string[]): void {
  const onPath = new Set<number>();
  const done = new Set<number>();
  // An explicit stack: a deep graph must not overflow the call stack.
  const stack: Array<{ position: number; next: number }> = [{ position: rootPosition, next: 0 }];
  onPath.add(rootPosition);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const children = childrenOf[top.position]!;
    if (top.next === children.length) {
      stack.pop();
      onPath.delete(top.position);
      done.add(top.position);
      continue;
    }
    const childPosition = top.next;
    const child = positions.get(children[childPosition]!)!;
    top.next += 1;
    if (onPath.has(child)) {
      throw invalidArgument("BLOCK_GRAPH_CYCLE", `blocks[${top.position}].children[${childPosition}]`, `${keys[child]} is an ancestor of ${keys[top.position]} and cannot be its child`, {
        key: keys[child]!,
      });
    }
    if (done.has(child)) continue;
    onPath.add(child);
    stack.push({ position: child, next: 0 });
  }
  const unreachable = keys.findIndex((_, position) => !done.has(position));
  if (unreachable >= 0) {
    throw invalidArgument("BLOCK_UNREACHABLE", `blocks[${unreachable}].block_key`, `${keys[unreachable]} is not reachable from the root ${keys[rootPosition]}`, { key: keys[unreachable]! });
  }
}

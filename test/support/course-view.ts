import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { expect } from "vitest";
import type { TransformedBlock } from "../../gen/learnerstate/v1/block_structure_pb.js";
import type { GetTransformedRequestSchema } from "../../gen/learnerstate/v1/block_structure_service_pb.js";
import { allTransformers, evaluationTime, type GeneratedCourse } from "./course-graph.js";

/** The block types views count. */
export const countedTypes = ["problem", "html", "video"];

/** A stored capa score. */
export type Score = { raw_earned: number; raw_possible: number };

/** Scores for most problems of `graph`, some with full marks, some with none; a quarter have none stored. */
export function scoresOf(graph: GeneratedCourse): Map<string, Score> {
  return new Map(
    graph.blocks
      .filter((block) => block.type === "problem")
      .flatMap((block, index): Array<[string, Score]> => (index % 4 === 3 ? [] : [[block.key, { raw_earned: index % 3, raw_possible: 2 }]])),
  );
}

/** A GetTransformed request. */
export type TransformRequestInit = MessageInitShape<typeof GetTransformedRequestSchema>;

/** `username`'s view of `graph` at {@link evaluationTime} with every transformer, display names and due dates, with `overrides`. */
export function viewRequest(graph: GeneratedCourse, username: string, overrides: Omit<TransformRequestInit, "$typeName"> = {}): TransformRequestInit {
  const base: TransformRequestInit = {
    start: { case: "courseKey", value: graph.courseKey },
    learner: { username, evaluateAt: timestampFromMs(evaluationTime) },
    transformers: allTransformers,
    requestedFields: ["display_name", "due"],
    options: { blockTypesToCount: countedTypes, navigationDepth: 1 },
  };
  return { ...base, ...overrides } as TransformRequestInit;
}

// The expected view, computed here from the course's definition and the
// contract's rules, independently of the service's traversals: a block is
// shown when some path from the root reaches it through blocks that each pass
// every filter on their own settings (not staff-only, started, not hidden,
// and selected if a library child).

/** Whom and when a generated course is viewed for. */
export interface View {
  readonly staff: boolean;
  readonly now: number;
  readonly selection: unknown[] | null;
  readonly scores: ReadonlyMap<string, Score>;
}

/** What the service must return for a view. */
export interface Expected {
  readonly shown: ReadonlySet<string>;
  readonly parents: (key: string) => string[];
  readonly children: (key: string) => string[];
  readonly depth: ReadonlyMap<string, number>;
  readonly count: (key: string, type: string) => number;
  readonly progress: (key: string) => { earned: number; possible: number; scored_blocks: number; attempted_blocks: number } | undefined;
  readonly selected: string[];
}

/** The expected view of `graph` (see the comment above). */
export function expectedView(graph: GeneratedCourse, view: View): Expected {
  const block = (key: string) => graph.byKey.get(key)!;
  const allParents = new Map<string, string[]>(graph.blocks.map((candidate) => [candidate.key, []]));
  for (const parent of graph.blocks) for (const child of parent.children) allParents.get(child)!.push(parent.key);
  const dateOf = (value: unknown) => (typeof value === "string" ? Date.parse(value) : null);

  const library = block(graph.notable.library);
  const libraryChildren = new Set(library.children);
  const selected: string[] = [];
  for (const entry of view.selection ?? []) {
    const [type, id] = entry as [string, string];
    const child = library.children.find((key) => key.endsWith(`+type@${type}+block@${id}`));
    if (child !== undefined && !selected.includes(child) && selected.length < (library.fields["max_count"] as number)) selected.push(child);
  }

  // hide_after_due: set on the block or on every parent; due: own, else the latest of the parents' (none wins).
  const hideAfterDue = (key: string): boolean => block(key).fields["hide_after_due"] === true || (allParents.get(key)!.length > 0 && allParents.get(key)!.every(hideAfterDue));
  const due = (key: string): number | null => {
    const own = dateOf(block(key).fields["due"]);
    if (own !== null) return own;
    const fromParents = allParents.get(key)!.map(due);
    return fromParents.length === 0 || fromParents.includes(null) ? null : Math.max(...(fromParents as number[]));
  };
  const passes = (key: string): boolean => {
    const fields = block(key).fields;
    if (libraryChildren.has(key) && !selected.includes(key)) return false;
    if (view.staff) return true;
    const start = dateOf(fields["start"]) ?? (key === graph.rootKey ? Date.UTC(2030, 0, 1) : Number.NEGATIVE_INFINITY);
    const dueDate = due(key);
    const hidden = hideAfterDue(key) && dueDate !== null && view.now >= dueDate;
    return fields["visible_to_staff_only"] !== true && start < view.now && !hidden;
  };

  const shown = new Set<string>();
  const pending = passes(graph.rootKey) ? [graph.rootKey] : [];
  for (let key = pending.pop(); key !== undefined; key = pending.pop()) {
    if (shown.has(key)) continue;
    shown.add(key);
    for (const child of block(key).children) if (passes(child)) pending.push(child);
  }
  const children = (key: string) => block(key).children.filter((child) => shown.has(child));
  const parents = (key: string) => allParents.get(key)!.filter((parent) => shown.has(parent));

  // Depth: breadth first from the root, so the shallowest path wins.
  const depth = new Map<string, number>([[graph.rootKey, 0]]);
  const queue = shown.has(graph.rootKey) ? [graph.rootKey] : [];
  for (let index = 0; index < queue.length; index += 1) {
    for (const child of children(queue[index]!)) {
      if (depth.has(child)) continue;
      depth.set(child, depth.get(queue[index]!)! + 1);
      queue.push(child);
    }
  }

  // Counts as upstream sums them: per path, so a shared block counts under each parent.
  const count = (key: string, type: string): number => (block(key).type === type ? 1 : 0) + children(key).reduce((sum, child) => sum + count(child, type), 0);

  const scoreOf = (key: string) => {
    const fields = block(key).fields;
    const stored = view.scores.get(key);
    const rawEarned = stored?.raw_earned ?? 0;
    const rawPossible = stored?.raw_possible ?? (fields["max_score"] as number);
    const weight = fields["weight"] as number | undefined;
    return weight !== undefined && rawPossible !== 0 ? { earned: (rawEarned * weight) / rawPossible, possible: weight, attempted: stored !== undefined } : { earned: rawEarned, possible: rawPossible, attempted: stored !== undefined };
  };
  const progress = (key: string) => {
    const under = new Set<string>();
    const stack = [key];
    for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
      if (under.has(current)) continue;
      under.add(current);
      stack.push(...children(current));
    }
    const scored = [...under].filter((candidate) => block(candidate).fields["has_score"] === true);
    if (scored.length === 0) return undefined;
    const each = scored.map(scoreOf);
    return {
      earned: each.reduce((sum, score) => sum + score.earned, 0),
      possible: each.reduce((sum, score) => sum + score.possible, 0),
      scored_blocks: scored.length,
      attempted_blocks: each.filter((score) => score.attempted).length,
    };
  };
  return { shown, parents, children, depth, count, progress, selected };
}

/**
 * Checks every block the service returned against the expected view: the
 * set, a topological order, children, depth, counts of `countedTypes`, progress.
 */
export function expectView(blocks: readonly TransformedBlock[], expected: Expected, graph: GeneratedCourse): void {
  const keys = blocks.map((block) => block.blockKey);
  expect(new Set(keys).size, "each block once").toBe(keys.length);
  expect([...keys].sort()).toEqual([...expected.shown].sort());
  const position = new Map(keys.map((key, index) => [key, index]));
  for (const block of blocks) {
    const key = block.blockKey;
    for (const parent of expected.parents(key)) expect(position.get(parent)!, `${parent} before ${key}`).toBeLessThan(position.get(key)!);
    expect(block.children, `children of ${key}`).toEqual(expected.children(key));
    expect(block.blockType).toBe(graph.byKey.get(key)!.type);
    expect(block.fields["display_name"]).toBe(JSON.stringify(graph.byKey.get(key)!.fields["display_name"]));
    expect(JSON.parse(block.transformerFields["blocks_api:block_depth"]!.fields["depth"]!), `depth of ${key}`).toBe(expected.depth.get(key));
    const counts = block.transformerFields["blocks_api:block_counts"]!.fields;
    for (const type of countedTypes) expect(JSON.parse(counts[type]!), `${type} count of ${key}`).toBe(expected.count(key, type));
    const progress = expected.progress(key);
    const reported = block.transformerFields["learner_progress"]?.fields;
    if (progress === undefined) {
      expect(reported, `no progress at ${key}`).toBeUndefined();
    } else {
      expect(JSON.parse(reported!["earned"]!), `earned at ${key}`).toBeCloseTo(progress.earned, 9);
      expect(JSON.parse(reported!["possible"]!), `possible at ${key}`).toBeCloseTo(progress.possible, 9);
      expect(JSON.parse(reported!["scored_blocks"]!)).toBe(progress.scored_blocks);
      expect(JSON.parse(reported!["attempted_blocks"]!)).toBe(progress.attempted_blocks);
    }
  }
}


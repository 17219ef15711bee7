/**
 * Whether a traversal yields a block, or a transformer keeps it. A filter
 * decides from the block's own (collected) data and the learner; it must not
 * change the graph it is asked about.
 */
export type BlockFilter = (blockKey: string) => boolean;

/** How {@link traverseTopologically} treats blocks. */
export interface TopologicalOptions {
  /** Which blocks to yield; every block when absent. */
  readonly filter?: BlockFilter;
  /**
   * Whether descendants of blocks the filter refused are still visited.
   * False (the default): a block is visited only when at least one of its
   * parents was yielded.
   */
  readonly yieldDescendantsOfUnyielded?: boolean;
}

/**
 * Yields the blocks under `start` (itself first) parent before child, depth
 * first in children's order, and a block with several parents only once,
 * after every one of its parents was visited: upstream's
 * `traverse_topologically`. A block whose parents were all visited but none
 * yielded is skipped with its descendants unless `yieldDescendantsOfUnyielded`.
 * A block with a parent that is never reached from `start` is never yielded. `start` need not have no parents. The graph must be acyclic.
 */
export function* traverseTopologically(
  start: string,
  parentsOf: (blockKey: string) => readonly string[],
  childrenOf: (blockKey: string) => readonly string[],
  options: TopologicalOptions = {},
): Generator<string> {
  const filter = options.filter ?? (() => true);
  const yieldUnyielded = options.yieldDescendantsOfUnyielded ?? false;
  // Block → whether it was yielded; a block is in here once visited.
  const visited = new Map<string, boolean>();
  const stack = [start];
  for (let block = stack.pop(); block !== undefined; block = stack.pop()) {
    if (block !== start) {
      const parents = parentsOf(block);
      // Not every parent seen yet: this block comes back through the last one.
      if (!parents.every((parent) => visited.has(parent))) continue;
      if (!yieldUnyielded && !parents.some((parent) => visited.get(parent) === true)) continue;
    }
    if (visited.has(block)) continue;
    // Children are stacked whether or not the filter keeps this block: a
    // child with another parent must still be reached through it.
    const children = childrenOf(block);
    for (let index = children.length - 1; index >= 0; index -= 1) stack.push(children[index]!);
    const kept = filter(block);
    visited.set(block, kept);
    if (kept) yield block;
  }
}

/**
 * Yields the blocks under `start` children before parents (in children's
 * order), each once: upstream's `traverse_post_order`. A block the filter
 * refuses is neither yielded nor descended into; the filter may be asked more
 * than once about a block reached through several parents. The graph must be
 * acyclic.
 */
export function* traversePostOrder(start: string, childrenOf: (blockKey: string) => readonly string[], filter?: BlockFilter): Generator<string> {
  const accept = filter ?? (() => true);
  const visited = new Set<string>();
  const stack: Array<{ readonly block: string; next: number }> = [{ block: start, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (visited.has(top.block) || !accept(top.block)) {
      stack.pop();
      continue;
    }
    const children = childrenOf(top.block);
    if (top.next < children.length) {
      stack.push({ block: children[top.next]!, next: 0 });
      top.next += 1;
    } else {
      visited.add(top.block);
      stack.pop();
      yield top.block;
    }
  }
}

import { describe, expect, it } from "vitest";
import { traversePostOrder, traverseTopologically } from "./traversals.js";

// A DAG: d has two parents (b and c), e is under d.
//      a
//     / \
//    b   c
//     \ / \
//      d   f
//      |
//      e
const children: Record<string, string[]> = { a: ["b", "c"], b: ["d"], c: ["d", "f"], d: ["e"], e: [], f: [] };
const parents: Record<string, string[]> = { a: [], b: ["a"], c: ["a"], d: ["b", "c"], e: ["d"], f: ["c"] };
const childrenOf = (key: string) => children[key] ?? [];
const parentsOf = (key: string) => parents[key] ?? [];

describe("traverseTopologically()", () => {
  it("should yield a block with two parents once, after both", () => {
    expect([...traverseTopologically("a", parentsOf, childrenOf)]).toEqual(["a", "b", "c", "d", "e", "f"]);
  });

  it("should yield a tree depth first in children's order", () => {
    const tree: Record<string, string[]> = { r: ["x", "y"], x: ["x1", "x2"], y: ["y1"] };
    const up: Record<string, string[]> = { x: ["r"], y: ["r"], x1: ["x"], x2: ["x"], y1: ["y"] };
    expect([...traverseTopologically("r", (key) => up[key] ?? [], (key) => tree[key] ?? [])]).toEqual(["r", "x", "x1", "x2", "y", "y1"]);
  });

  it("should skip the descendants of a refused block that nothing else reaches", () => {
    expect([...traverseTopologically("a", parentsOf, childrenOf, { filter: (key) => key !== "c" })]).toEqual(["a", "b", "d", "e"]);
    expect([...traverseTopologically("a", parentsOf, childrenOf, { filter: (key) => key !== "b" && key !== "c" })]).toEqual(["a"]);
  });

  it("should yield descendants of refused blocks when asked to", () => {
    const yielded = [...traverseTopologically("a", parentsOf, childrenOf, { filter: (key) => key !== "b" && key !== "c", yieldDescendantsOfUnyielded: true })];
    expect(yielded).toEqual(["a", "d", "e", "f"]);
  });

  it("should start at any block and leave out blocks with a parent it never reaches", () => {
    // d's other parent, b, is not under c.
    expect([...traverseTopologically("c", parentsOf, childrenOf)]).toEqual(["c", "f"]);
  });
});

describe("traversePostOrder()", () => {
  it("should yield children before parents, a shared child once", () => {
    expect([...traversePostOrder("a", childrenOf)]).toEqual(["e", "d", "b", "f", "c", "a"]);
  });

  it("should neither yield nor descend into a refused block", () => {
    expect([...traversePostOrder("a", childrenOf, (key) => key !== "d")]).toEqual(["b", "f", "c", "a"]);
  });
});

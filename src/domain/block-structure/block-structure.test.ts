import { describe, expect, it } from "vitest";
import { createBlockStructure } from "./block-structure.js";
import { graph, keyOf, nameOf, namesIn } from "./testing.js";

// course → chapters a and b; the vertical v is under both; p under v; q under b only.
const dag = () =>
  graph({ "course.c": ["chapter.a", "chapter.b"], "chapter.a": ["vertical.v"], "chapter.b": ["vertical.v", "problem.q"], "vertical.v": ["problem.p"] });
const names = (keys: readonly string[]) => keys.map(nameOf);

describe("createBlockStructure()", () => {
  it("should know each block's parents and children", () => {
    const structure = createBlockStructure(dag());
    expect(structure.size).toBe(6);
    expect(names(structure.parentsOf(keyOf("vertical.v")))).toEqual(["chapter.a", "chapter.b"]);
    expect(names(structure.childrenOf(keyOf("chapter.b")))).toEqual(["vertical.v", "problem.q"]);
    expect(structure.parentsOf(keyOf("course.c"))).toEqual([]);
    expect(structure.childrenOf(keyOf("problem.missing"))).toEqual([]);
    expect(structure.blockTypeOf(keyOf("problem.p"))).toBe("problem");
    expect(structure.blockIdOf(keyOf("problem.p"))).toBe("p");
  });

  it("should traverse a DAG topologically and in post-order, yielding a shared block once", () => {
    const structure = createBlockStructure(dag());
    expect(namesIn(structure)).toEqual(["course.c", "chapter.a", "chapter.b", "vertical.v", "problem.p", "problem.q"]);
    expect([...structure.postOrderTraversal()].map(nameOf)).toEqual(["problem.p", "vertical.v", "chapter.a", "problem.q", "chapter.b", "course.c"]);
  });

  it("should remove a block with its subtree, leaving what another parent reaches", () => {
    const structure = createBlockStructure(dag());
    structure.removeBlock(keyOf("chapter.a"), false);
    structure.pruneUnreachable();
    expect(namesIn(structure)).toEqual(["course.c", "chapter.b", "vertical.v", "problem.p", "problem.q"]);
    expect(names(structure.parentsOf(keyOf("vertical.v")))).toEqual(["chapter.b"]);
    structure.removeBlock(keyOf("chapter.b"), false);
    structure.pruneUnreachable();
    expect(namesIn(structure)).toEqual(["course.c"]);
    expect(structure.has(keyOf("problem.p"))).toBe(false);
  });

  it("should remove at once the descendants nothing else reaches, so traversals reach blocks they shared", () => {
    // p sits under a's vertical w and under b: once a is gone, w is orphaned.
    const structure = createBlockStructure(graph({ "course.c": ["chapter.a", "chapter.b"], "chapter.a": ["vertical.w"], "vertical.w": ["problem.p"], "chapter.b": ["problem.p"] }));
    structure.removeBlock(keyOf("chapter.a"), false);
    expect(structure.has(keyOf("vertical.w"))).toBe(false);
    expect(names(structure.parentsOf(keyOf("problem.p")))).toEqual(["chapter.b"]);
    expect(namesIn(structure)).toEqual(["course.c", "chapter.b", "problem.p"]);
  });

  it("should reconnect children to parents when keeping descendants, without doubling edges", () => {
    const structure = createBlockStructure(dag());
    structure.removeBlock(keyOf("vertical.v"), true);
    expect(names(structure.childrenOf(keyOf("chapter.a")))).toEqual(["problem.p"]);
    expect(names(structure.childrenOf(keyOf("chapter.b")))).toEqual(["problem.q", "problem.p"]);
    expect(names(structure.parentsOf(keyOf("problem.p")))).toEqual(["chapter.a", "chapter.b"]);
    structure.removeBlock(keyOf("chapter.b"), true);
    // p was already a child of... nothing under course; q and p move up to the course, p only once.
    expect(names(structure.childrenOf(keyOf("course.c")))).toEqual(["chapter.a", "problem.q", "problem.p"]);
    expect(names(structure.parentsOf(keyOf("problem.p")))).toEqual(["chapter.a", "course.c"]);
  });

  it("should remove by traversal the blocks meeting a condition, and keep a shared block a kept parent reaches", () => {
    const structure = createBlockStructure(dag());
    structure.removeBlockTraversal((key) => key === keyOf("chapter.a"));
    structure.pruneUnreachable();
    expect(namesIn(structure)).toEqual(["course.c", "chapter.b", "vertical.v", "problem.p", "problem.q"]);
  });

  it("should start over at a new root and prune what it does not reach", () => {
    const structure = createBlockStructure(dag());
    structure.setRootBlock(keyOf("chapter.b"));
    structure.pruneUnreachable();
    expect(namesIn(structure)).toEqual(["chapter.b", "vertical.v", "problem.p", "problem.q"]);
    expect(names(structure.parentsOf(keyOf("vertical.v")))).toEqual(["chapter.b"]);
    expect(structure.parentsOf(keyOf("chapter.b"))).toEqual([]);
  });

  it("should keep transformer data per transformer and block, over what was collected", () => {
    const structure = createBlockStructure(dag());
    structure.setTransformerField(keyOf("problem.p"), "t", "x", 1);
    structure.setTransformerData("t", "total", 7);
    structure.markCollectedBy("t", 3);
    structure.requestUserState(keyOf("problem.p"));
    const collected = structure.toCollected();
    expect(collected.transformers.get("t")).toEqual({ version: 3, data: { total: 7 }, blocks: new Map([[keyOf("problem.p"), { x: 1 }]]) });
    expect(collected.userStateKeys).toEqual([keyOf("problem.p")]);

    const again = createBlockStructure(collected);
    expect(again.transformerFieldOf(keyOf("problem.p"), "t", "x")).toBe(1);
    again.setTransformerField(keyOf("problem.p"), "t", "x", 2);
    again.setTransformerField(keyOf("problem.p"), "t", "y", 3);
    expect(again.transformerFieldOf(keyOf("problem.p"), "t", "x")).toBe(2);
    expect(again.transformerDataOf("t", "total")).toBe(7);
    expect(again.collectedVersionOf("t")).toBe(3);
    expect(again.collectedVersionOf("other")).toBe(0);
    // The collected copy is shared, never changed.
    expect(createBlockStructure(collected).transformerFieldOf(keyOf("problem.p"), "t", "x")).toBe(1);
    expect(createBlockStructure(collected).transformerFieldOf(keyOf("problem.p"), "t", "y")).toBeUndefined();
  });

  it("should read XBlock fields as texts and as values", () => {
    const structure = createBlockStructure(graph({ "course.c": ["problem.p"] }, { "problem.p": { weight: 2.5, display_name: "Q" } }));
    expect(structure.fieldTextOf(keyOf("problem.p"), "weight")).toBe("2.5");
    expect(structure.fieldOf(keyOf("problem.p"), "display_name")).toBe("Q");
    expect(structure.fieldOf(keyOf("problem.p"), "due")).toBeUndefined();
  });

  it("should leave a copy's relations alone when another copy removes blocks", () => {
    const collected = dag();
    const one = createBlockStructure(collected);
    one.removeBlock(keyOf("vertical.v"), false);
    expect(names(createBlockStructure(collected).childrenOf(keyOf("chapter.a")))).toEqual(["vertical.v"]);
    expect(names(collected.blocks.get(keyOf("chapter.b"))!.children)).toEqual(["vertical.v", "problem.q"]);
  });
});

import { describe, expect, it } from "vitest";
import { LearnerStateError } from "../errors.js";
import { createBlockStructure } from "./block-structure.js";
import type { BlockStructureTransformer } from "./transformer.js";
import { createTransformerRegistry } from "./transformer-registry.js";
import { graph, keyOf, namesIn, usageOf } from "./testing.js";

/** A transformer that removes blocks whose id is in `ids` (a filter, or a plain transform). */
function remover(name: string, ids: string[], kind: "filter" | "transform", versions = { writeVersion: 1, readVersion: 1 }): BlockStructureTransformer {
  const condition = (key: string) => ids.some((id) => key.endsWith(`+block@${id}`));
  return {
    name,
    ...versions,
    userStateFields: [],
    runsAfter: [],
    collect(structure) {
      structure.setTransformerData(name, "collected", true);
    },
    ...(kind === "filter"
      ? { transformBlockFilters: () => [(key: string) => !condition(key)] }
      : { transform: (_usage, structure) => structure.removeBlockTraversal(condition) }),
  };
}

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof LearnerStateError) return error.reason;
    throw error;
  }
  return "none";
}

const course = () => graph({ "course.c": ["chapter.a", "chapter.b"], "chapter.a": ["problem.p"], "chapter.b": ["problem.p", "problem.q"] });

describe("createTransformerRegistry()", () => {
  it("should refuse registrations that cannot work", () => {
    expect(() => createTransformerRegistry([remover("x", [], "filter"), remover("x", [], "filter")])).toThrow(/twice/u);
    expect(() => createTransformerRegistry([remover("x", [], "filter", { writeVersion: 0, readVersion: 0 })])).toThrow(/versions/u);
    expect(() => createTransformerRegistry([remover("x", [], "filter", { writeVersion: 1, readVersion: 2 })])).toThrow(/versions/u);
    expect(() => createTransformerRegistry([{ ...remover("x", [], "filter"), transform: () => undefined }])).toThrow(/exactly one/u);
    expect(() => createTransformerRegistry([{ ...remover("x", [], "filter"), runsAfter: ["y"] }])).toThrow(/not registered/u);
  });

  it("should find unregistered names and resolve requests in order", () => {
    const registry = createTransformerRegistry([remover("a", [], "filter"), remover("b", [], "transform"), { ...remover("c", [], "transform"), runsAfter: ["b"] }]);
    expect(registry.names()).toEqual(["a", "b", "c"]);
    expect(registry.findUnregistered(["a", "zz", "b", "yy"])).toEqual(["zz", "yy"]);
    expect(registry.resolve(["b", "a", "c"]).map((transformer) => transformer.name)).toEqual(["b", "a", "c"]);
    expect(reasonOf(() => registry.resolve(["a", "zz"]))).toBe("UNKNOWN_TRANSFORMER");
    expect(reasonOf(() => registry.resolve(["a", "a"]))).toBe("DUPLICATE_TRANSFORMER");
    expect(reasonOf(() => registry.resolve(["c", "b"]))).toBe("TRANSFORMER_DEPENDENCY");
    expect(reasonOf(() => registry.resolve(["c"]))).toBe("TRANSFORMER_DEPENDENCY");
  });

  it("should list the registered names when one is unknown", () => {
    try {
      createTransformerRegistry([remover("b", [], "filter"), remover("a", [], "filter")]).resolve(["nope"]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(LearnerStateError);
      expect((error as LearnerStateError).metadata).toMatchObject({ field: "transformers[0]", name: "nope", registered: "a,b" });
      expect((error as LearnerStateError).message).toContain("registered: a, b");
    }
  });

  it("should hash names and write versions, and change the hash when a write version moves", () => {
    const one = createTransformerRegistry([remover("a", [], "filter"), remover("b", [], "filter")]);
    const same = createTransformerRegistry([remover("b", [], "filter"), remover("a", [], "filter")]);
    const bumped = createTransformerRegistry([remover("a", [], "filter", { writeVersion: 2, readVersion: 1 }), remover("b", [], "filter")]);
    expect(one.writeVersionHash()).toBe(same.writeVersionHash());
    expect(bumped.writeVersionHash()).not.toBe(one.writeVersionHash());
  });

  it("should call a structure outdated when a read version moves past what was collected, or a transformer never collected", () => {
    const v1 = createTransformerRegistry([remover("a", [], "filter")]);
    const structure = createBlockStructure(course());
    v1.collect(structure);
    const collected = structure.toCollected();
    expect(v1.outdated(collected)).toEqual([]);
    expect(createTransformerRegistry([remover("a", [], "filter", { writeVersion: 2, readVersion: 1 })]).outdated(collected)).toEqual([]);
    expect(createTransformerRegistry([remover("a", [], "filter", { writeVersion: 2, readVersion: 2 })]).outdated(collected)).toEqual(["a"]);
    expect(createTransformerRegistry([remover("a", [], "filter"), remover("b", [], "filter")]).outdated(collected)).toEqual(["b"]);
  });

  it("should run filters first, combined, then the others, then prune", () => {
    const registry = createTransformerRegistry([remover("drop-a", ["a"], "filter"), remover("drop-q", ["q"], "transform"), remover("drop-b", ["b"], "filter")]);
    const structure = createBlockStructure(course());
    registry.collect(structure);
    const transformed = createBlockStructure(structure.toCollected());
    registry.transform(transformed, usageOf(), registry.resolve(["drop-a", "drop-q"]));
    expect(namesIn(transformed)).toEqual(["course.c", "chapter.b", "problem.p"]);
    const both = createBlockStructure(structure.toCollected());
    registry.transform(both, usageOf(), registry.resolve(["drop-a", "drop-b"]));
    expect(namesIn(both)).toEqual(["course.c"]);
    expect(both.has(keyOf("problem.p"))).toBe(false);
  });
});

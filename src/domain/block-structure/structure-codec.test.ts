import { describe, expect, it } from "vitest";
import { decodeStructure, encodeStructure } from "./structure-codec.js";
import { collectWith, graph } from "./testing.js";
import { defaultTransformers } from "./default-registry.js";

describe("encodeStructure()/decodeStructure()", () => {
  it("should read back exactly the structure it wrote, collected data included", () => {
    const input = graph(
      { "course.c": ["chapter.a", "chapter.b"], "chapter.a": ["library_content.lib"], "chapter.b": ["library_content.lib", "problem.q"], "library_content.lib": ["problem.p1", "problem.p2"] },
      { "course.c": { start: "2026-01-01T00:00:00Z", self_paced: false }, "problem.q": { has_score: true, weight: 2, display_name: "Q ☃" }, "library_content.lib": { max_count: 1 } },
    );
    const { collected } = collectWith(input, defaultTransformers);
    const decoded = decodeStructure(encodeStructure(collected));
    expect(decoded).toEqual(collected);
    expect([...decoded.blocks.keys()]).toEqual([...collected.blocks.keys()]);
    expect(decoded.userStateKeys.length).toBeGreaterThan(0);
  });

  it("should refuse another schema version", () => {
    expect(() => decodeStructure(JSON.stringify({ schema: "0", blocks: [], transformers: {}, userStateKeys: [] }))).toThrow(/schema/u);
  });
});

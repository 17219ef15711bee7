import { describe, expect, it } from "vitest";
import { mapStream } from "./map-stream.js";

describe("mapStream()", () => {
  it("should convert every item, in order, and end when the source ends", async () => {
    async function* source() {
      yield* [1, 2, 3];
    }
    const seen: string[] = [];
    for await (const item of mapStream(source(), (value) => `#${value}`)) seen.push(item);
    expect(seen).toEqual(["#1", "#2", "#3"]);
  });

  it("should end the source when the reader stops early", async () => {
    let closed = false;
    async function* source() {
      try {
        for (let value = 0; ; value += 1) yield value;
      } finally {
        closed = true;
      }
    }
    for await (const item of mapStream(source(), (value) => value * 2)) if (item >= 4) break;
    expect(closed).toBe(true);
  });

  it("should pass on the source's error", async () => {
    async function* source(): AsyncGenerator<number> {
      yield 1;
      throw new Error("source failed");
    }
    const read = async () => {
      for await (const _ of mapStream(source(), (value) => value)) void _;
    };
    await expect(read()).rejects.toThrow("source failed");
  });
});

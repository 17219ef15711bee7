import { describe, expect, it } from "vitest";
import { flatMapStream } from "./flat-map-stream.js";

async function* numbers(count: number) {
  for (let value = 1; value <= count; value += 1) yield value;
}

describe("flatMapStream()", () => {
  it("should pass on every item each source item makes, in order, skipping those that make none", async () => {
    const seen: string[] = [];
    for await (const item of flatMapStream(numbers(4), (value) => Array.from({ length: value % 3 }, (_, index) => `${value}.${index}`))) seen.push(item);
    expect(seen).toEqual(["1.0", "2.0", "2.1", "4.0"]);
  });

  it("should end the source when the reader stops early", async () => {
    let closed = false;
    async function* endless() {
      try {
        for (let value = 0; ; value += 1) yield value;
      } finally {
        closed = true;
      }
    }
    for await (const item of flatMapStream(endless(), (value) => [value, value])) if (item >= 2) break;
    expect(closed).toBe(true);
  });

  it("should pass on the source's error", async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw new Error("source failed");
    }
    const read = async () => {
      for await (const _ of flatMapStream(failing(), (value) => [value])) void _;
    };
    await expect(read()).rejects.toThrow("source failed");
  });
});

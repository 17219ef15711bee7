import { describe, expect, it } from "vitest";
import { createHistoryRetention, purgesHistory } from "./history-retention.js";
import type { HistoryRetentionStore } from "./history-retention-store.js";

const call = { deadlineMs: null, signal: null };

/**
 * History parts as position lists, and a purge that removes every even
 * position it examines; it can be told to fail once, and records the batches
 * it was asked for.
 */
function storeOf(parts: Record<string, bigint[]>) {
  const batches: string[] = [];
  let failNext = false;
  const store: HistoryRetentionStore = {
    async historyParts() {
      return Object.entries(parts).map(([name, positions]) => ({ name, lastPosition: positions.length === 0 ? null : positions[positions.length - 1]! }));
    },
    async purgeHistoryBatch(_call, part, after, upTo, limit) {
      if (failNext) {
        failNext = false;
        throw new Error("the database went away");
      }
      batches.push(`${part} ${after ?? "start"}..${upTo}`);
      const examined = parts[part]!.filter((position) => position > (after ?? 0n) && position <= upTo).slice(0, limit);
      const doomed = new Set(examined.filter((position) => position % 2n === 0n));
      parts[part] = parts[part]!.filter((position) => !doomed.has(position));
      return { lastExamined: examined.at(-1) ?? null, examined: examined.length, purged: doomed.size };
    },
  };
  return { store, batches, failOnce: () => (failNext = true) };
}

const positions = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => BigInt(from + index));

describe("purgesHistory()", () => {
  it("should be false only for the default policy", () => {
    expect(purgesHistory({ keepNewest: null, maxAgeDays: null })).toBe(false);
    expect(purgesHistory({ keepNewest: 5, maxAgeDays: null })).toBe(true);
    expect(purgesHistory({ keepNewest: null, maxAgeDays: 30 })).toBe(true);
  });
});

describe("createHistoryRetention().run()", () => {
  it("should walk every part in batches up to where it ended when the pass began, then start a new pass", async () => {
    const parts = { a: positions(1, 5), b: positions(1, 3) };
    const { store, batches } = storeOf(parts);
    const retention = createHistoryRetention(store, { keepNewest: 1, maxAgeDays: null }, 2);
    const backlogs: bigint[] = [];
    const report = await retention.run(call, () => false, (progress) => backlogs.push(progress.backlog));
    expect(report).toEqual({ purged: { a: 2, b: 1 }, examined: 8, batches: 5, completed: true });
    expect(batches).toEqual(["a start..5", "a 2..5", "a 4..5", "b start..3", "b 2..3"]);
    expect(backlogs).toEqual([6n, 4n, 3n, 1n, 0n]);

    parts.a.push(6n, 7n);
    batches.length = 0;
    await retention.run(call, () => false, () => undefined);
    // Part a is now 1, 3, 5, 6, 7: its purged positions are gone, so batches step over them.
    expect(batches).toEqual(["a start..7", "a 3..7", "a 6..7", "b start..3"]);
  });

  it("should resume a stopped or failed pass where it stood", async () => {
    const { store, batches, failOnce } = storeOf({ a: positions(1, 6) });
    const retention = createHistoryRetention(store, { keepNewest: null, maxAgeDays: 7 }, 2);
    let budget = 1;
    const stopped = await retention.run(call, () => budget-- <= 0, () => undefined);
    expect(stopped).toMatchObject({ completed: false, batches: 1 });
    failOnce();
    await expect(retention.run(call, () => false, () => undefined)).rejects.toThrow("went away");
    const resumed = await retention.run(call, () => false, () => undefined);
    expect(resumed).toMatchObject({ completed: true, batches: 2 });
    expect(batches).toEqual(["a start..6", "a 2..6", "a 4..6"]);
  });
});

// The history encoder must write the GetHistoryResponse protobuf-es writes
// for the same entries, deletions (no state) included.
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HistoryEntrySchema, StateSnapshotSchema } from "../../gen/learnerstate/v1/user_state_pb.js";
import { GetHistoryResponseSchema } from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { boundsPerRow, pageOfStates, splitStateJson, type StatePage } from "../domain/state/index.js";
import { installExactTextEncoding } from "./exact-text-encoding.js";
import { encodeHistoryPage } from "./history-entry-encoding.js";
import { timestampFromMicros } from "./timestamp.js";

installExactTextEncoding();

const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }).map((json) => JSON.stringify(json)), fc.constantFrom("9007199254740993", "1.50", '"é 漢 🎉"'));
const entry = fc.record({
  username: fc.oneof(fc.constant(""), fc.string({ maxLength: 12 })),
  fields: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((name) => name.isWellFormed()), value, { maxKeys: 5 }), { nil: null }),
  modified: fc.bigInt({ min: 0n, max: 2n ** 60n }),
});

/** A history page of `entries` (a null `fields` is a deletion). */
function pageOf(entries: ReadonlyArray<{ username: string; fields: Record<string, string> | null; modified: bigint }>): StatePage {
  const texts = entries.map((item) => (item.fields === null ? "{}" : `{${Object.entries(item.fields).map(([name, text]) => `${JSON.stringify(name)}: ${text}`).join(", ")}}`));
  const page = pageOfStates(entries.map((item, index) => ({ username: item.username, usageKey: "stored-key", stateJson: texts[index]!, modified: item.modified })));
  const bounds = page.bounds.slice();
  entries.forEach((item, row) => {
    if (item.fields !== null) return;
    bounds[boundsPerRow * row + 4] = -1;
    bounds[boundsPerRow * row + 5] = -1;
  });
  return { ...page, bounds };
}

describe.each(["fields", "json-object"] as const)("encodeHistoryPage(), %s form", (form) => {
  it("should write the GetHistoryResponse protobuf-es writes, deletions without a state", () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), fc.oneof(fc.constant(""), fc.string({ maxLength: 30 })), (entries, blockKey) => {
        const page = pageOf(entries);
        const encoded = encodeHistoryPage(page, Buffer.from(blockKey, "utf8"), form);
        const stateText = (row: number) => Buffer.from(page.data).toString("utf8", page.bounds[boundsPerRow * row + 4]!, page.bounds[boundsPerRow * row + 5]!);
        const expected = create(GetHistoryResponseSchema, {
          entries: entries.map((item, row) =>
            create(HistoryEntrySchema, {
              username: item.username,
              blockKey,
              state: item.fields === null ? undefined : create(StateSnapshotSchema, form === "fields" ? { fields: splitStateJson(stateText(row)) } : { stateJson: stateText(row) }),
              updateTime: timestampFromMicros(item.modified),
            }),
          ),
        });
        const actual = fromBinary(GetHistoryResponseSchema, encoded.bytes);
        expect(equals(GetHistoryResponseSchema, actual, fromBinary(GetHistoryResponseSchema, toBinary(GetHistoryResponseSchema, expected)))).toBe(true);
        expect(encoded.ends).toHaveLength(entries.length);
      }),
      { numRuns: 300 },
    );
  });
});

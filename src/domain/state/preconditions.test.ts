import { describe, expect, it } from "vitest";
import { LearnerStateError } from "../errors.js";
import { etagOf } from "./etag.js";
import { checkPrecondition, StateChangedError, writeConditions } from "./preconditions.js";

const version = { position: 7n, modified: 1_700_000_000_000_000n };

describe("preconditions", () => {
  it("need exactly one of etag and absent", () => {
    expect(checkPrecondition({ etag: "e", absent: false }, "f")).toEqual({ etag: "e" });
    expect(checkPrecondition({ etag: "", absent: true }, "f")).toEqual({ absent: true });
    for (const bad of [
      { etag: "", absent: false },
      { etag: "e", absent: true },
    ]) {
      const error = (() => {
        try {
          checkPrecondition(bad, "updates[0].precondition");
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(LearnerStateError);
      expect(error).toMatchObject({ reason: "INVALID_PRECONDITION", metadata: { field: "updates[0].precondition" } });
    }
  });

  it("hold when the state is the version named, or absent as required, and report every block that changed otherwise", () => {
    const etag = etagOf(version.position, version.modified);
    const conditions = writeConditions([
      { key: "a", spelling: "A", precondition: { etag } },
      { key: "b", spelling: "B", precondition: { absent: true } },
      { key: "a", spelling: "A2", precondition: { etag } },
    ])!;
    expect(conditions.keys).toEqual(["a", "b"]);
    expect(conditions.judge(new Map([["a", version], ["b", null]]))).toBeNull();
    const moved = { position: 7n, modified: version.modified + 1n };
    const failed = conditions.judge(new Map([["a", moved], ["b", version]]));
    expect(failed).toBeInstanceOf(StateChangedError);
    expect(failed!.currentEtags).toEqual([
      { blockKey: "A", etag: etagOf(moved.position, moved.modified) },
      { blockKey: "B", etag },
      { blockKey: "A2", etag: etagOf(moved.position, moved.modified) },
    ]);
    expect(failed!.metadata).toEqual({ changedCount: "3" });
    expect(conditions.judge(new Map([["a", null], ["b", null]]))!.currentEtags).toEqual([
      { blockKey: "A", etag: "" },
      { blockKey: "A2", etag: "" },
    ]);
    expect(writeConditions([])).toBeNull();
  });

  it("give every version its own etag: another row, or the same row written again", () => {
    const etags = new Set([etagOf(7n, 100n), etagOf(7n, 101n), etagOf(8n, 100n), etagOf(8n, 101n)]);
    expect(etags.size).toBe(4);
    expect([...etags].every((etag) => /^[A-Za-z0-9_-]{22}$/u.test(etag))).toBe(true);
  });
});

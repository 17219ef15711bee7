import { describe, expect, it } from "vitest";
import type { LearnerStateError } from "../errors.js";
import { checkXBlockField, parseXBlockDate } from "./xblock-fields.js";

describe("parseXBlockDate()", () => {
  it("should read XBlock date-times, naive ones as UTC", () => {
    expect(parseXBlockDate("2026-09-01T10:30:00Z")).toBe(Date.UTC(2026, 8, 1, 10, 30));
    expect(parseXBlockDate("2026-09-01T10:30:00+02:00")).toBe(Date.UTC(2026, 8, 1, 8, 30));
    expect(parseXBlockDate("2026-09-01T10:30")).toBe(Date.UTC(2026, 8, 1, 10, 30));
    expect(parseXBlockDate("2026-09-01T10:30:00.250000Z")).toBe(Date.UTC(2026, 8, 1, 10, 30, 0, 250));
  });

  it("should refuse what is not a date-time", () => {
    for (const text of ["2026-09-01", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "tomorrow", "2026-09-01T10:30:00 UTC"]) expect(parseXBlockDate(text), text).toBeNull();
  });
});

describe("checkXBlockField()", () => {
  const reasonOf = (name: string, value: unknown): string => {
    try {
      checkXBlockField(name, JSON.stringify(value), `fields["${name}"]`);
      return "ok";
    } catch (error) {
      return (error as LearnerStateError).reason;
    }
  };

  it("should take the partition fields in the shapes upstream writes them", () => {
    const partitions = [{ id: 50, name: "Tracks", scheme: "enrollment_track", version: 3, parameters: {}, groups: [{ id: 1, name: "Audit", version: 1 }] }, { id: 7, active: false, groups: [] }];
    expect(reasonOf("user_partitions", partitions)).toBe("ok");
    expect(reasonOf("group_access", { "50": [1, 2], "7": null, "-3": [] })).toBe("ok");
    expect(reasonOf("user_partition_id", -1)).toBe("ok");
    expect(reasonOf("group_id_to_child", { "0": "block-v1:O+C+R+type@vertical+block@a" })).toBe("ok");
    for (const name of ["user_partitions", "group_access", "user_partition_id", "group_id_to_child"]) expect(reasonOf(name, null), name).toBe("ok");
  });

  it("should refuse partition fields of other shapes", () => {
    for (const [name, value] of [
      ["user_partitions", { id: 50, groups: [] }],
      ["user_partitions", [{ id: "50", groups: [] }]],
      ["user_partitions", [{ id: 50 }]],
      ["user_partitions", [{ id: 50, groups: [{ name: "no id" }] }]],
      ["user_partitions", [{ id: 50, groups: [], active: "yes" }]],
      ["user_partitions", [{ id: 2 ** 60, groups: [] }]],
      ["group_access", [[50, [1]]]],
      ["group_access", { fifty: [1] }],
      ["group_access", { "50": [1.5] }],
      ["group_access", { "50": 1 }],
      ["user_partition_id", 1.5],
      ["group_id_to_child", { "0": 3 }],
    ] as Array<[string, unknown]>) {
      expect(reasonOf(name, value), `${name} ${JSON.stringify(value)}`).toBe("INVALID_XBLOCK_FIELD");
    }
  });
});

import { describe, expect, it } from "vitest";
import { parseXBlockDate } from "./xblock-fields.js";

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

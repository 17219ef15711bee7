import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nextPageRows, pageBytesFor, pageSizing } from "./page-sizing.js";
import type { StatePage } from "./state-page.js";

/** A page of `rows` rows taking `bytes` bytes (only its size matters here). */
function pageOf(rows: number, bytes: number): StatePage {
  return { rows, data: new Uint8Array(bytes), bounds: new Int32Array(0), positions: new BigInt64Array(0), modified: new BigInt64Array(0) };
}

describe("nextPageRows()", () => {
  it("should start with the first page's rows, rounded to whole messages", () => {
    expect(nextPageRows(null, 1)).toBe(pageSizing.firstPageRows);
    expect(nextPageRows(null, 97)).toBe(97);
    expect(nextPageRows(null, 1000)).toBe(1000);
  });

  it("should read pages of the most rows for small states, and fewer as states grow, about a page's bytes each", () => {
    expect(nextPageRows(pageOf(100, 55_000), 100)).toBe(pageSizing.maxPageRows);
    expect(nextPageRows(pageOf(100, 10_000_000), 1)).toBe(Math.floor(pageSizing.pageBytes / 100_000));
    expect(nextPageRows(pageOf(1, 50 * 1024 * 1024), 1)).toBe(1);
  });

  it("should always be a positive multiple of the message rows, and no more bytes than a page's unless one message is", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 2_000_000 }), (unit, rows, bytesPerRow) => {
        const next = nextPageRows(pageOf(rows, rows * bytesPerRow), unit);
        expect(next % unit).toBe(0);
        expect(next).toBeGreaterThanOrEqual(unit);
        expect(next).toBeLessThanOrEqual(Math.max(unit, pageSizing.maxPageRows));
        if (next > unit) expect(next * bytesPerRow).toBeLessThanOrEqual(pageSizing.pageBytes);
      }),
    );
  });
});

describe("pageBytesFor()", () => {
  it("should give each stream a page's bytes while few are open, and a share of all pages' bytes, never below the least, when many are", () => {
    expect(pageBytesFor(0)).toBe(pageSizing.pageBytes);
    expect(pageBytesFor(pageSizing.allPagesBytes / pageSizing.pageBytes)).toBe(pageSizing.pageBytes);
    expect(pageBytesFor(32)).toBe(pageSizing.allPagesBytes / 32);
    expect(pageBytesFor(100_000)).toBe(pageSizing.minPageBytes);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (streams) => {
        expect(pageBytesFor(streams + 1)).toBeLessThanOrEqual(pageBytesFor(streams));
        expect(pageBytesFor(streams) * streams).toBeLessThanOrEqual(Math.max(pageSizing.allPagesBytes, pageSizing.minPageBytes * streams));
      }),
    );
  });
});

import { describe, expect, it } from "vitest";
import { pageBytesFor, pageSizing } from "./page-sizing.js";
import { pagesReadAhead, type PageRead } from "./pages-read-ahead.js";
import type { StatePage } from "./state-page.js";

const bytesPerRow = 1000;

/** A page of `rows` rows of {@link bytesPerRow} bytes each (only its size matters here). */
function pageOf(rows: number): StatePage {
  return { rows, data: new Uint8Array(rows * bytesPerRow), bounds: new Int32Array(0), positions: new BigInt64Array(0), modified: new BigInt64Array(0) };
}

/** A stream of pages that never runs out, recording the rows each read asked for. */
function endlessStream(): { asked: number[]; iterator: AsyncIterator<StatePage> } {
  const asked: number[] = [];
  const read: PageRead = async (_previous, rows) => {
    asked.push(rows);
    return pageOf(rows);
  };
  return { asked, iterator: pagesReadAhead(read, 1)[Symbol.asyncIterator]() };
}

/** The rows a stream's pages ask for once sized by their rows' bytes, with `streams` streams open. */
const sizedRows = (streams: number) => Math.min(pageSizing.maxPageRows, Math.floor(pageBytesFor(streams) / bytesPerRow));

describe("pagesReadAhead()", () => {
  it("should share the pages' bytes among the streams open, and give a stream's share back however it ends", async () => {
    const many = pageSizing.allPagesBytes / pageSizing.minPageBytes;
    expect(sizedRows(many)).toBeLessThan(sizedRows(1));
    const streams = Array.from({ length: many }, () => endlessStream());
    for (const stream of streams) await stream.iterator.next();
    const probe = endlessStream();
    await probe.iterator.next();
    await probe.iterator.next();
    expect(probe.asked.at(-1)).toBe(sizedRows(many + 1));

    // Stopped by their readers, failed, or read to their end: none counts any
    // more. With the probe and `kept` streams open, one stream counted too many
    // would shrink the probe's pages.
    const kept = pageSizing.allPagesBytes / pageSizing.pageBytes - 1;
    expect(sizedRows(kept + 2)).toBeLessThan(sizedRows(kept + 1));
    for (const stream of streams.slice(kept)) await stream.iterator.return!();
    const failing = pagesReadAhead(async () => Promise.reject(new Error("database gone")), 1)[Symbol.asyncIterator]();
    await expect(failing.next()).rejects.toThrow("database gone");
    const finite = pagesReadAhead(async (_previous, rows) => pageOf(rows - 1), 1)[Symbol.asyncIterator]();
    expect((await finite.next()).done).toBe(false);
    expect((await finite.next()).done).toBe(true);

    await probe.iterator.next();
    expect(probe.asked.at(-1)).toBe(sizedRows(kept + 1));
    for (const stream of streams.slice(0, kept)) await stream.iterator.return!();
    await probe.iterator.next();
    expect(probe.asked.at(-1)).toBe(sizedRows(1));
    await probe.iterator.return!();
  });
});

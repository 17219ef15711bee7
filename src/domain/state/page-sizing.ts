import type { StatePage } from "./state-page.js";

/**
 * How many rows the bulk reads (IterAll*, GetHistory) ask the database for
 * at once. A page is one statement and one round trip whatever its size, so
 * pages are as large as memory allows, independent of how the caller wants
 * its messages cut: a page of 1,000 rows costs the database and the server
 * about a third less per row than ten pages of 100. Each page's rows are
 * chosen from the bytes per row of the page before, so that a page holds
 * about the page bytes of {@link pageBytesFor}: a stream holds at most two
 * pages at once (the one being sent and the one read ahead), and 32 streams
 * of large states must not hold gigabytes, so with many streams open each
 * aims at its share of {@link pageSizing.allPagesBytes}. Messages are cut
 * from pages, so a page is never smaller than one message of the caller's
 * size.
 */
export const pageSizing = {
  /** Rows of a stream's first page, before any row's size is known. */
  firstPageRows: 100,
  /** Rows of a page at most. */
  maxPageRows: 1_000,
  /** Bytes a page aims at while few streams are open. */
  pageBytes: 1024 * 1024,
  /** Bytes the pages of all open streams aim at together, once each would otherwise aim at {@link pageBytes}. */
  allPagesBytes: 16 * 1024 * 1024,
  /** Bytes a page aims at however many streams are open. */
  minPageBytes: 128 * 1024,
} as const;

/** Bytes a page aims at while `openStreams` bulk reads are open: {@link pageSizing.pageBytes}, or a share of all pages' bytes when that is less. */
export function pageBytesFor(openStreams: number): number {
  const share = Math.floor(pageSizing.allPagesBytes / Math.max(1, openStreams));
  return Math.min(pageSizing.pageBytes, Math.max(pageSizing.minPageBytes, share));
}

/**
 * Rows of the page after `previous` (null: of the first page), aiming at
 * `pageBytes`: a multiple of `unitRows`, the rows of a full message, so that
 * a page splits into full messages; at least one unit.
 */
export function nextPageRows(previous: StatePage | null, unitRows: number, pageBytes: number = pageSizing.pageBytes): number {
  let rows: number = pageSizing.firstPageRows;
  if (previous !== null && previous.rows > 0) {
    const bytesPerRow = Math.max(1, previous.data.length / previous.rows);
    rows = Math.min(pageSizing.maxPageRows, Math.floor(pageBytes / bytesPerRow));
  }
  return Math.max(unitRows, rows - (rows % unitRows));
}

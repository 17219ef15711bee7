import type { StatePage } from "./state-page.js";

/**
 * How many rows the bulk reads (IterAll*, GetHistory) ask the database for
 * at once. A page is one statement and one round trip whatever its size, so
 * pages are as large as memory allows, independent of how the caller wants
 * its messages cut: a page of 1,000 rows costs the database and the server
 * about a third less per row than ten pages of 100. Each page's rows are
 * chosen from the bytes per row of the page before, so that a page holds
 * about {@link pageBytes}: a stream holds at most two pages at once (the one
 * being sent and the one read ahead), and 32 streams of large states must
 * not hold gigabytes. Messages are cut from pages, so a page is never
 * smaller than one message of the caller's size.
 */
export const pageSizing = {
  /** Rows of a stream's first page, before any row's size is known. */
  firstPageRows: 100,
  /** Rows of a page at most. */
  maxPageRows: 1_000,
  /** Bytes a page aims at. */
  pageBytes: 1024 * 1024,
} as const;

/**
 * Rows of the page after `previous` (null: of the first page): a multiple of
 * `unitRows`, the rows of a full message, so that a page splits into full
 * messages; at least one unit.
 */
export function nextPageRows(previous: StatePage | null, unitRows: number): number {
  let rows: number = pageSizing.firstPageRows;
  if (previous !== null && previous.rows > 0) {
    const bytesPerRow = Math.max(1, previous.data.length / previous.rows);
    rows = Math.min(pageSizing.maxPageRows, Math.floor(pageSizing.pageBytes / bytesPerRow));
  }
  return Math.max(unitRows, rows - (rows % unitRows));
}

import { nextPageRows } from "./page-sizing.js";
import type { StatePage } from "./state-page.js";

/** Reads the page after `previous` (null: the first page), of at most `rows` rows. */
export type PageRead = (previous: StatePage | null, rows: number) => Promise<StatePage>;

/**
 * The pages `read` gives, one after the other, until one has fewer rows than
 * asked for (an empty page is not given). The page after the one being sent
 * is read while it is sent, so that the database and the client work at once
 * (one page ahead, each read giving its connection back when done); a failed
 * read ahead waits for the reader, and is dropped if nobody asks for it.
 * Written by hand, not as a generator: a suspended generator keeps the last
 * page it yielded alive, so every stream waiting for a slow reader would hold
 * a page of rows for nothing. Each page's rows follow from the one before
 * (see page-sizing.ts).
 */
export function pagesReadAhead(read: PageRead, unitRows: number): AsyncIterable<StatePage> {
  const start = (previous: StatePage | null) => {
    const rows = nextPageRows(previous, unitRows);
    const page = read(previous, rows);
    page.catch(() => undefined);
    return { rows, page };
  };
  let ahead: { rows: number; page: Promise<StatePage> } | null = start(null);
  let ended = false;
  const pages: AsyncIterator<StatePage> = {
    async next() {
      if (ahead === null) return { done: true, value: undefined };
      const { rows, page: reading } = ahead;
      const page = await reading;
      ahead = ended || page.rows < rows ? null : start(page);
      if (page.rows > 0 && !ended) return { done: false, value: page };
      page.release?.();
      return { done: true, value: undefined };
    },
    async return() {
      ended = true;
      // The page read ahead is nobody's: its bytes go back once it arrives.
      ahead?.page.then((page) => page.release?.(), () => undefined);
      ahead = null;
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => pages };
}

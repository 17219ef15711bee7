import { nextPageRows, pageBytesFor } from "./page-sizing.js";
import type { StatePage } from "./state-page.js";

/** Reads the page after `previous` (null: the first page), of at most `rows` rows. */
export type PageRead = (previous: StatePage | null, rows: number) => Promise<StatePage>;

/** Streams of pages of this process that have not ended: their pages share {@link pageBytesFor}'s budget. */
let openStreams = 0;

/**
 * The pages `read` gives, one after the other, until one has fewer rows than
 * asked for (an empty page is not given). The page after the one being sent
 * is read while it is sent, so that the database and the client work at once
 * (one page ahead, each read giving its connection back when done); a failed
 * read ahead waits for the reader, and is dropped if nobody asks for it.
 * Written by hand, not as a generator: a suspended generator keeps the last
 * page it yielded alive, so every stream waiting for a slow reader would hold
 * a page of rows for nothing. Each page's rows follow from the one before
 * and from how many streams are open (see page-sizing.ts); a stream counts
 * as open from its creation until its last page was read, a read failed, or
 * its reader stopped.
 */
export function pagesReadAhead(read: PageRead, unitRows: number): AsyncIterable<StatePage> {
  let counted = true;
  openStreams += 1;
  const uncount = () => {
    if (!counted) return;
    counted = false;
    openStreams -= 1;
  };
  const start = (previous: StatePage | null) => {
    const rows = nextPageRows(previous, unitRows, pageBytesFor(openStreams));
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
      let page: StatePage;
      try {
        page = await reading;
      } catch (error) {
        // A reader does not call return() after a failed next().
        ahead = null;
        uncount();
        throw error;
      }
      ahead = ended || page.rows < rows ? null : start(page);
      if (ahead === null) uncount();
      if (page.rows > 0 && !ended) return { done: false, value: page };
      page.release?.();
      return { done: true, value: undefined };
    },
    async return() {
      ended = true;
      uncount();
      // The page read ahead is nobody's: its bytes go back once it arrives.
      ahead?.page.then((page) => page.release?.(), () => undefined);
      ahead = null;
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => pages };
}

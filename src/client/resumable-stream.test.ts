import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { resumeOnUnavailable } from "./resumable-stream.js";

interface Page {
  readonly resumeToken: string;
  readonly rows: readonly number[];
}

/** The pages of rows 0 to 9, three rows each, resumable after any page's token. */
function pagesAfter(token: string): Page[] {
  const first = token === "" ? 0 : Number(token) + 1;
  const pages: Page[] = [];
  for (let start = first; start < 10; start += 3) {
    const rows = Array.from({ length: Math.min(3, 10 - start) }, (_, index) => start + index);
    pages.push({ resumeToken: String(rows.at(-1)), rows });
  }
  return pages;
}

/** A stream that gives its first page, then fails with `error` once, then reads to the end from the token asked for. */
function failingOnce(error: Error) {
  const tokens: string[] = [];
  let failed = false;
  const open = async function* (token: string): AsyncGenerator<Page> {
    tokens.push(token);
    for (const page of pagesAfter(token)) {
      yield page;
      if (!failed) {
        failed = true;
        throw error;
      }
    }
  };
  return { open, tokens };
}

async function rowsOf(stream: AsyncIterable<Page>): Promise<number[]> {
  const rows: number[] = [];
  for await (const page of stream) rows.push(...page.rows);
  return rows;
}

// What connect-node throws for a response whose connection closed before its
// status: UNKNOWN, caused by Node's ERR_STREAM_PREMATURE_CLOSE (seen when a
// server was killed mid-stream).
const prematureClose = new ConnectError("Premature close", Code.Unknown, undefined, undefined, Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" }));

describe("resumeOnUnavailable", () => {
  it("resumes from the last token after a connection closed before the call's status (UNKNOWN, premature close)", async () => {
    const { open, tokens } = failingOnce(prematureClose);
    expect(await rowsOf(resumeOnUnavailable(open, "", { initialDelayMs: 1 }))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(tokens).toEqual(["", "2"]);
  });

  it("resumes after UNAVAILABLE and after a reset connection (ABORTED)", async () => {
    for (const error of [new ConnectError("database down", Code.Unavailable), new ConnectError("socket reset", Code.Aborted)]) {
      const { open, tokens } = failingOnce(error);
      expect(await rowsOf(resumeOnUnavailable(open, "", { initialDelayMs: 1 }))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(tokens).toEqual(["", "2"]);
    }
  });

  it("does not retry any other UNKNOWN, nor a caller's mistake", async () => {
    const otherUnknown = new ConnectError("something else", Code.Unknown, undefined, undefined, Object.assign(new Error("boom"), { code: "ERR_SOMETHING" }));
    for (const error of [otherUnknown, new ConnectError("bad token", Code.InvalidArgument)]) {
      const { open, tokens } = failingOnce(error);
      await expect(rowsOf(resumeOnUnavailable(open, "", { initialDelayMs: 1 }))).rejects.toMatchObject({ code: error.code });
      expect(tokens).toEqual([""]);
    }
  });
});

// The `+`-separated body grammar shared by course-v1, library-v1, block-v1,
// lib-block-v1, asset-v1 and (with a mandatory `ccx@` part) the ccx keys:
//
//   [org+course[+run]+] [branch@B+] [version@V+] [ccx@N+] [type@T+] [block@I]
//
// every part optional and in this order. The Python library matches it with one
// regular expression; because no value may contain `+` or `@`, splitting on `+` and
// reading `label@value` parts in order is equivalent, and linear.
import { CharClass, DECIMAL_CHARS, DEPRECATED_ID_CHARS, HEX_CHARS, ID_CHARS, LOWER_HEX_CHARS } from "./char-class.js";
import { InvalidKeyError } from "./invalid-key-error.js";

/** The fields of a parsed locator body; null where the body has no such part. */
export interface LocatorBody {
  readonly org: string | null;
  readonly course: string | null;
  readonly run: string | null;
  readonly branch: string | null;
  /** The version id as written (not yet checked to be a 24-digit ObjectId). */
  readonly version: string | null;
  readonly ccx: string | null;
  readonly blockType: string | null;
  readonly blockId: string | null;
}

/** Which dialect of the body grammar to apply. */
export interface LocatorGrammar {
  /** The ccx dialect: a mandatory `ccx@<digits>` part and case-insensitive labels. */
  readonly ccx: boolean;
  /** The characters allowed in the block id. */
  readonly blockIdChars: CharClass;
}

/** The grammar of `course-v1:`, `library-v1:`, `block-v1:`, `lib-block-v1:` and `asset-v1:` bodies (block ids may hold `%`). */
export const BLOCK_LOCATOR_GRAMMAR: LocatorGrammar = { ccx: false, blockIdChars: DEPRECATED_ID_CHARS };
/** The grammar of `ccx-v1:` and `ccx-block-v1:` bodies (edx-ccx-keys). */
export const CCX_LOCATOR_GRAMMAR: LocatorGrammar = { ccx: true, blockIdChars: ID_CHARS };

/** org, course, run, branch@, version@, ccx@, type@, block@. */
const MAX_PARTS = 8;

type Label = "branch" | "version" | "ccx" | "type" | "block";

// Python's IGNORECASE also equates these non-ASCII letters with the ASCII letters of
// the labels ("i" with U+0130 and U+0131, "s" with U+017F, "k" with U+212A).
const FOLDED: Readonly<Record<string, string>> = { "\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k" };

function sameLabel(text: string, label: Label, ignoreCase: boolean): boolean {
  if (!ignoreCase) return text === label;
  if (text.length !== label.length) return false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    const folded = char >= "A" && char <= "Z" ? char.toLowerCase() : (FOLDED[char] ?? char);
    if (folded !== label[index]) return false;
  }
  return true;
}

/**
 * Parses a locator body (the input after its namespace prefix). Throws InvalidKeyError
 * naming the first problem. Only the grammar is checked here; whether the fields make a
 * complete key is up to the key class.
 */
export function parseLocatorBody(body: string, input: string, grammar: LocatorGrammar): LocatorBody {
  const fields: { -readonly [K in keyof LocatorBody]: LocatorBody[K] } = {
    org: null,
    course: null,
    run: null,
    branch: null,
    version: null,
    ccx: null,
    blockType: null,
    blockId: null,
  };
  const fail = (reason: string): never => {
    throw new InvalidKeyError(input, reason);
  };
  const check = (field: string, value: string, chars: CharClass): string => {
    const problem = chars.explain(field, value);
    return problem === undefined ? value : fail(problem);
  };
  if (body === "") return grammar.ccx ? fail("missing the ccx@ part") : fields;
  // At most org, course, run and five labelled parts; reading further would only cost time.
  const parts = body.split("+", MAX_PARTS + 1);
  if (parts.length > MAX_PARTS) fail(`more than ${MAX_PARTS} '+'-separated parts`);
  if (parts.includes("")) fail("empty part: a '+' at the start or end, or two in a row");

  let index = 0;
  if (!parts[0]!.includes("@")) {
    fields.org = check("org", parts[0]!, ID_CHARS);
    const course = parts[1];
    if (course === undefined || course.includes("@")) fail("an org must be followed by a course");
    fields.course = check("course", course!, ID_CHARS);
    index = 2;
    const run = parts[2];
    if (run !== undefined && !run.includes("@")) {
      fields.run = check("run", run, ID_CHARS);
      index = 3;
    }
  }
  const labels: readonly Label[] = grammar.ccx
    ? ["branch", "version", "ccx", "type", "block"]
    : ["branch", "version", "type", "block"];
  for (const label of labels) {
    const part = parts[index];
    const at = part === undefined ? -1 : part.indexOf("@");
    if (part !== undefined && at >= 0 && sameLabel(part.slice(0, at), label, grammar.ccx)) {
      const value = part.slice(at + 1);
      index += 1;
      switch (label) {
        case "branch":
          fields.branch = check("branch", value, ID_CHARS);
          break;
        case "version":
          fields.version = check("version", value, grammar.ccx ? HEX_CHARS : LOWER_HEX_CHARS);
          break;
        case "ccx":
          fields.ccx = check("ccx id", value, DECIMAL_CHARS);
          break;
        case "type":
          fields.blockType = check("block type", value, ID_CHARS);
          break;
        case "block":
          fields.blockId = check("block id", value, grammar.blockIdChars);
          break;
      }
    } else if (label === "ccx") {
      fail("missing the ccx@ part");
    }
  }
  if (index < parts.length) {
    const extra = parts[index]!;
    const at = extra.indexOf("@");
    fail(
      at < 0
        ? `unexpected part ${JSON.stringify(extra.slice(0, 40))}`
        : `unexpected or misplaced part ${JSON.stringify(extra.slice(0, at + 1))} (order: org+course+run, branch@, version@,${grammar.ccx ? " ccx@," : ""} type@, block@)`,
    );
  }
  return fields;
}

/**
 * The body of a course-like key (Python `_to_string`): the identifying parts (none for
 * a version-only key, `ids` null), then `branch@B` (only after them), then `version@V`,
 * joined with `+`. A null or empty branch or version is left out.
 */
export function formatLocatorBody(ids: readonly string[] | null, branch: string | null, versionGuid: string | null): string {
  const parts = ids === null ? [] : [...ids];
  if (ids !== null && branch) parts.push(`branch@${branch}`);
  if (versionGuid) parts.push(`version@${versionGuid}`);
  return parts.join("+");
}

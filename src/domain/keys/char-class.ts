// Character classes of the Python regular expressions the key grammar is written in,
// evaluated without regular expressions: every check is one linear scan.
// Python's `\w` and `\d` are Unicode-aware; they are answered from tables generated
// from the Unicode 14 database of the reference Python (see unicode-14-tables.ts), so
// results do not drift with the Unicode version of the running Node.js.
import { DECIMAL_RANGES, DIGIT_RANGES, WORD_RANGES } from "./unicode-14-tables.js";

/** A sorted set of code point ranges decoded from a generated table. */
class CodePointRanges {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  constructor(encoded: string) {
    let next = 0;
    for (const pair of encoded.split(",")) {
      const [gap, span] = pair.split(".");
      const start = next + Number.parseInt(gap ?? "", 36);
      const end = start + Number.parseInt(span ?? "", 36);
      this.starts.push(start);
      this.ends.push(end);
      next = end + 1;
    }
  }

  has(codePoint: number): boolean {
    let low = 0;
    let high = this.starts.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (codePoint < this.starts[middle]!) high = middle - 1;
      else if (codePoint > this.ends[middle]!) low = middle + 1;
      else return true;
    }
    return false;
  }
}

const WORD = new CodePointRanges(WORD_RANGES);
const DECIMAL = new CodePointRanges(DECIMAL_RANGES);
const DIGIT = new CodePointRanges(DIGIT_RANGES);

/** True if the code point matches Python's Unicode `\w` (letters and numbers of any script, `_`). */
export function isWordCodePoint(codePoint: number): boolean {
  if (codePoint < 0x80) {
    return (
      (codePoint >= 0x30 && codePoint <= 0x39) ||
      (codePoint >= 0x41 && codePoint <= 0x5a) ||
      (codePoint >= 0x61 && codePoint <= 0x7a) ||
      codePoint === 0x5f
    );
  }
  return WORD.has(codePoint);
}

/** True if the code point matches Python's Unicode `\d` (a decimal digit of any script). */
export function isDecimalCodePoint(codePoint: number): boolean {
  return codePoint < 0x80 ? codePoint >= 0x30 && codePoint <= 0x39 : DECIMAL.has(codePoint);
}

/** True if Python's `str.isdigit()` holds for the code point (decimal digits plus e.g. superscripts). */
export function isDigitCodePoint(codePoint: number): boolean {
  return codePoint < 0x80 ? codePoint >= 0x30 && codePoint <= 0x39 : DIGIT.has(codePoint);
}

/** The first code point of `text` for which `reject` is true, or undefined if there is none. */
function findCodePoint(text: string, reject: (codePoint: number) => boolean): number | undefined {
  for (let index = 0; index < text.length; ) {
    const codePoint = text.codePointAt(index)!;
    if (reject(codePoint)) return codePoint;
    index += codePoint > 0xffff ? 2 : 1;
  }
  return undefined;
}

/** A Python character class such as `[\w\-~.:]`, as a predicate on code points. */
export class CharClass {
  constructor(
    /** The class as written in the Python source, for error messages. */
    readonly pattern: string,
    private readonly test: (codePoint: number) => boolean,
  ) {}

  /** A class of Python's `\w` plus the given ASCII characters. */
  static wordAnd(pattern: string, extra: string): CharClass {
    const codes = new Set(Array.from(extra, (char) => char.codePointAt(0)!));
    return new CharClass(pattern, (codePoint) => isWordCodePoint(codePoint) || codes.has(codePoint));
  }

  /** A class of exactly the given characters. */
  static of(pattern: string, chars: string): CharClass {
    const codes = new Set(Array.from(chars, (char) => char.codePointAt(0)!));
    return new CharClass(pattern, (codePoint) => codes.has(codePoint));
  }

  /** True if the code point belongs to the class. */
  has(codePoint: number): boolean {
    return this.test(codePoint);
  }

  /** Python `re.match(r"^[…]+\Z", text)`: false for "" and for any character outside the class. */
  matchesAll(text: string): boolean {
    return text.length > 0 && findCodePoint(text, (codePoint) => !this.test(codePoint)) === undefined;
  }

  /**
   * Python `re.match(r"^[…]+$", text)`: like {@link matchesAll}, but one trailing "\n" is
   * tolerated, because Python's `$` also matches just before a final newline.
   */
  matchesAllBeforeFinalNewline(text: string): boolean {
    return this.matchesAll(text.endsWith("\n") ? text.slice(0, -1) : text);
  }

  /** The first character of `text` outside the class, or undefined if there is none. */
  firstOutside(text: string): string | undefined {
    const codePoint = findCodePoint(text, (candidate) => !this.test(candidate));
    return codePoint === undefined ? undefined : String.fromCodePoint(codePoint);
  }

  /** Why `text` does not match {@link matchesAll}, for error messages; undefined if it does. */
  explain(field: string, text: string): string | undefined {
    if (text.length === 0) return `${field} is empty`;
    const bad = this.firstOutside(text);
    return bad === undefined ? undefined : `${field} contains ${JSON.stringify(bad)}, which is not in ${this.pattern}`;
  }

  /** The {@link explain} problem of the first of `fields` (name to value, in order) that is not null and does not match; undefined if there is none. */
  explainFields(fields: Readonly<Record<string, string | null>>): string | undefined {
    for (const [name, value] of Object.entries(fields)) {
      const problem = value === null ? undefined : this.explain(name, value);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
}

const ASCII_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `[\w\-~.:]`: org, course, run, branch and block type of `course-v1:`-style keys. */
export const ID_CHARS = CharClass.wordAnd("[\\w\\-~.:]", "-~.:");
/** `[\w\-~.:%]`: block ids of deprecated keys and of assets. */
export const DEPRECATED_ID_CHARS = CharClass.wordAnd("[\\w\\-~.:%]", "-~.:%");
/** `[\w.%-]`: the parts of deprecated `org/course/run` course ids. */
export const DEPRECATED_PART_CHARS = CharClass.wordAnd("[\\w.%-]", ".%-");
/** `[\w-]`: what survives in an html id. */
export const HTML_ID_CHARS = CharClass.wordAnd("[\\w-]", "-");
/** `[a-zA-Z0-9_\-.]`: ASCII names (v2 library org, block and container types). */
export const ASCII_NAME_CHARS = CharClass.of("[a-zA-Z0-9_\\-.]", `${ASCII_ALNUM}_-.`);
/** `[\w\-.]`: v2 library slugs, usage, collection and container ids. */
export const SLUG_CHARS = CharClass.wordAnd("[\\w\\-.]", "-.");
/** `[\w\-./]`: OLX paths of bundle definitions. */
export const OLX_PATH_CHARS = CharClass.wordAnd("[\\w\\-./]", "-./");
/** `[a-f0-9]`: version and definition ids. */
export const LOWER_HEX_CHARS = CharClass.of("[a-f0-9]", "abcdef0123456789");
/** `[A-F0-9]` under IGNORECASE: ccx version ids. */
export const HEX_CHARS = CharClass.of("[A-Fa-f0-9]", "ABCDEFabcdef0123456789");
/** `\d`: ccx ids (any script's decimal digits). */
export const DECIMAL_CHARS = new CharClass("\\d", isDecimalCodePoint);

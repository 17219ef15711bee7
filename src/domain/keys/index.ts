// Interim key parsing: just enough of the Open edX grammar for the state service
// to file state under its learning context and block type. The full grammar
// (issue "Opaque keys") replaces this module and keeps these exports.

/** Raised for any string that does not parse as the requested key family. */
export class InvalidKeyError extends Error {
  override readonly name = "InvalidKeyError";
  constructor(
    /** The rejected input. */
    readonly input: string,
    /** What is wrong with it, for people. */
    readonly reason: string,
  ) {
    super(`invalid key ${JSON.stringify(input.slice(0, 200))}: ${reason}`);
  }
}

/** A course or other learning context (library, ccx). */
export interface LearningContextKey {
  /** Canonical string form. */
  toString(): string;
  readonly org: string | null;
  /** The course part, null for contexts that have none (v2 libraries). */
  readonly course: string | null;
  /** The run, null where the key does not carry one (the course of an `i4x://` key). */
  readonly run: string | null;
  readonly deprecated: boolean;
}

/** A block inside a learning context. */
export interface UsageKey {
  /** Canonical string form. */
  toString(): string;
  readonly blockType: string;
  readonly contextKey: LearningContextKey;
}

const part = /^[\w\-~.:]+$/u;

function courseLike(org: string, course: string | null, run: string | null, deprecated: boolean, text: string): LearningContextKey {
  return { org, course, run, deprecated, toString: () => text };
}

function fields(body: string, input: string, expected: readonly string[]): Map<string, string> {
  const result = new Map<string, string>();
  for (const piece of body.split("+")) {
    const at = piece.indexOf("@");
    const name = at < 0 ? "" : piece.slice(0, at);
    result.set(at < 0 ? `#${result.size}` : name, at < 0 ? piece : piece.slice(at + 1));
  }
  for (const name of expected) {
    if (!part.test(result.get(name) ?? "")) throw new InvalidKeyError(input, `missing or malformed ${name}`);
  }
  return result;
}

/** Parses a learning context key: `course-v1:`, `org/course/run`, `library-v1:`, `lib:`, `ccx-v1:`. */
export function parseLearningContextKey(input: string): LearningContextKey {
  const course = /^(course-v1|ccx-v1):([^+]+)\+([^+]+)\+([^+]+)(\+ccx@\d+)?$/u.exec(input);
  if (course) return courseLike(course[2]!, course[3]!, course[4]!, false, input);
  const old = /^([\w\-~.:]+)\/([\w\-~.:]+)\/([\w\-~.:]+)$/u.exec(input);
  if (old) return courseLike(old[1]!, old[2]!, old[3]!, true, input);
  const library = /^library-v1:([^+]+)\+([^+]+)$/u.exec(input);
  if (library) return courseLike(library[1]!, library[2]!, null, false, input);
  const v2 = /^lib:([^:]+):([^:]+)$/u.exec(input);
  if (v2) return courseLike(v2[1]!, null, null, false, input);
  throw new InvalidKeyError(input, "not a learning context key");
}

/** Parses a usage key: `block-v1:`, `i4x://`, `lib-block-v1:`, `lb:`, `ccx-block-v1:`, `aside-usage-v1:`/`v2:`. */
export function parseUsageKey(input: string): UsageKey {
  const colon = input.indexOf(":");
  const prefix = colon < 0 ? "" : input.slice(0, colon);
  const body = input.slice(colon + 1);
  if (prefix === "block-v1" || prefix === "ccx-block-v1" || prefix === "lib-block-v1") {
    const isLibrary = prefix === "lib-block-v1";
    const parts = fields(body, input, ["type", "block"]);
    const org = parts.get("#0") ?? "";
    const course = parts.get(isLibrary ? "#1" : "#1") ?? "";
    const run = isLibrary ? null : parts.get("#2") ?? "";
    if (!part.test(org) || !part.test(course) || (run !== null && !part.test(run))) {
      throw new InvalidKeyError(input, "malformed course part");
    }
    const contextPrefix = { "block-v1": "course-v1", "ccx-block-v1": "ccx-v1", "lib-block-v1": "library-v1" }[prefix];
    const ccx = parts.has("ccx") ? `+ccx@${parts.get("ccx")}` : "";
    const context = `${contextPrefix}:${org}+${course}${run === null ? "" : `+${run}`}${ccx}`;
    return { blockType: parts.get("type")!, contextKey: courseLike(org, course, run, false, context), toString: () => input };
  }
  if (input.startsWith("i4x://")) {
    const old = /^i4x:\/\/([\w\-~.:]+)\/([\w\-~.:]+)\/([\w\-~.:]+)\/([\w\-~.:]+)$/u.exec(input);
    if (!old) throw new InvalidKeyError(input, "malformed i4x:// key");
    return { blockType: old[3]!, contextKey: courseLike(old[1]!, old[2]!, null, true, ""), toString: () => input };
  }
  if (prefix === "lb") {
    const v2 = /^lb:([^:]+):([^:]+):([^:]+):([^:]+)$/u.exec(input);
    if (!v2) throw new InvalidKeyError(input, "malformed lb: key");
    return { blockType: v2[3]!, contextKey: courseLike(v2[1]!, null, null, false, `lib:${v2[1]}:${v2[2]}`), toString: () => input };
  }
  if (prefix === "aside-usage-v1" || prefix === "aside-usage-v2") {
    const inner = prefix === "aside-usage-v2" ? body.split("::")[0] ?? "" : body.split("::")[0] ?? "";
    const wrapped = parseUsageKey(inner.replace(/\$:/gu, ":").replace(/\$\$/gu, "$"));
    return { blockType: wrapped.blockType, contextKey: wrapped.contextKey, toString: () => input };
  }
  throw new InvalidKeyError(input, "not a usage key");
}

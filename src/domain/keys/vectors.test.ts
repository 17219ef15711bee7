// Runs every reference vector (inputs run through the Python edx-opaque-keys 4.0.0 and
// edx-ccx-keys 2.0.2) through describeKey and compares validity, class, canonical
// string, deprecated flag and every part and method result the vector lists.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  InvalidKeyError,
  KEY_FAMILIES,
  describeKey,
  registeredFallback,
  registeredNamespaces,
  type KeyDescription,
  type KeyFamily,
  type KeyPartValue,
} from "./index.js";

type Expected = { error: string } | Record<string, KeyPartValue | { error: string }>;
interface Vector {
  id: string;
  input: string;
  results: Record<string, Expected>;
  results_with_ccx_keys?: Record<string, Expected>;
}
interface Registry {
  [family: string]: { namespaces: Record<string, string>; deprecated_fallback: string | null };
}
interface VectorFile {
  meta: { parsers: string[]; ccx_keys: { registry_with_ccx_keys: Registry } };
  vectors: Vector[];
}

const vectorFile = JSON.parse(
  readFileSync(new URL("../../../../shared/keys/vectors.json", import.meta.url), "utf8"),
) as VectorFile;

/** Vector field name → description field name (the vectors call the canonical string `str`). */
const FIELD_NAMES: Record<string, string> = { str: "canonical" };

/** Every field a description may have, in vector naming; used to catch parts we add that Python lacks. */
const VOCABULARY = new Set([
  "class", "namespace", "str", "deprecated", "is_course", "org", "course", "run", "library", "slug", "branch",
  "version_guid", "block_type", "block_id", "asset_type", "path", "aside_type", "definition_id", "bundle_uuid",
  "bundle_version", "draft_name", "olx_path", "collection_id", "container_type", "container_id", "block_family",
  "course_key", "context_key", "library_key", "lib_key", "usage_key", "definition_key", "html_id",
  "for_branch_none", "version_agnostic", "map_into_course", "map_into_deprecated_course", "reparse_equal",
]);

/**
 * Results that differ from Python on purpose, by vector id and family, with the reason.
 * Python raising something other than InvalidKeyError for a whole parse counts as
 * "invalid" here (we raise InvalidKeyError instead); that is checked, not listed.
 */
const KNOWN_DIFFERENCES: ReadonlyMap<string, string> = new Map<string, string>([]);

function isError(value: unknown): value is { error: string } {
  return typeof value === "object" && value !== null && "error" in value;
}

/** The differences between our result and the expected one, as readable lines (empty if they agree). */
function compare(expected: Expected, run: () => KeyDescription): string[] {
  let actual: KeyDescription;
  try {
    actual = run();
  } catch (error) {
    if (!(error instanceof InvalidKeyError)) return [`threw ${String(error)} (only InvalidKeyError is allowed)`];
    return isError(expected) ? [] : [`rejected (${error.reason}) but Python parses it as ${String(expected.class)}`];
  }
  if (isError(expected)) return [`accepted as ${actual.class} (${JSON.stringify(actual.canonical)}) but Python raises ${expected.error}`];
  const problems: string[] = [];
  for (const [field, value] of Object.entries(expected)) {
    const name = FIELD_NAMES[field] ?? field;
    if (isError(value)) {
      if (name in actual) problems.push(`${field}: Python raises ${value.error}, we give ${JSON.stringify(actual[name])}`);
    } else if (!(name in actual)) {
      problems.push(`${field}: missing, Python gives ${JSON.stringify(value)}`);
    } else if (actual[name] !== value) {
      problems.push(`${field}: ${JSON.stringify(actual[name])}, Python gives ${JSON.stringify(value)}`);
    }
  }
  for (const name of Object.keys(actual)) {
    const field = Object.entries(FIELD_NAMES).find(([, ours]) => ours === name)?.[0] ?? name;
    if (VOCABULARY.has(field) && !(field in expected)) problems.push(`${field}: we give ${JSON.stringify(actual[name])}, Python has no such attribute`);
  }
  return problems;
}

describe("reference vectors", () => {
  it("agree with the Python library for every parser", () => {
    const families = vectorFile.meta.parsers as KeyFamily[];
    expect(families).toEqual(KEY_FAMILIES);
    const disagreements: string[] = [];
    const knownSeen: string[] = [];
    let agree = 0;
    let total = 0;
    for (const vector of vectorFile.vectors) {
      for (const family of families) {
        const expected = vector.results_with_ccx_keys?.[family] ?? vector.results[family];
        if (expected === undefined) throw new Error(`vector ${vector.id} has no result for ${family}`);
        total += 1;
        const problems = compare(expected, () => describeKey(family, vector.input));
        const known = KNOWN_DIFFERENCES.get(`${vector.id} ${family}`);
        if (known !== undefined) {
          expect(problems, `${vector.id} ${family} is listed as a known difference but agrees`).not.toEqual([]);
          knownSeen.push(`${vector.id} ${family}: ${known}`);
        } else if (problems.length === 0) {
          agree += 1;
        } else {
          disagreements.push(`${vector.id} ${family} ${JSON.stringify(vector.input)}\n    ${problems.join("\n    ")}`);
        }
      }
    }
    console.log(`keys: ${agree}/${total} parser results agree${knownSeen.length ? `, ${knownSeen.length} known differences` : ""}`);
    for (const line of knownSeen) console.log(`  known difference: ${line}`);
    expect(disagreements.slice(0, 25).join("\n"), `${disagreements.length} disagreements`).toBe("");
    expect(agree + knownSeen.length).toBe(total);
  });

  it("reject with InvalidKeyError where Python raised another exception for the whole parse", () => {
    const odd = vectorFile.vectors.flatMap((vector) =>
      Object.entries(vector.results_with_ccx_keys ?? vector.results)
        .filter(([, result]) => isError(result) && result.error !== "InvalidKeyError")
        .map(([family]) => [vector, family as KeyFamily] as const),
    );
    expect(odd.length).toBeGreaterThan(0);
    for (const [vector, family] of odd) {
      expect(() => describeKey(family, vector.input)).toThrow(InvalidKeyError);
    }
  });

  it("register the same namespaces and fallbacks as the Python registry with edx-ccx-keys", () => {
    const registry = vectorFile.meta.ccx_keys.registry_with_ccx_keys;
    for (const family of KEY_FAMILIES) {
      const expected = registry[family]!;
      const classNames = Object.fromEntries(
        Object.entries(expected.namespaces).map(([namespace, path]) => [namespace, path.split(".").pop()]),
      );
      expect(Object.fromEntries(registeredNamespaces(family)), family).toEqual(classNames);
      expect(registeredFallback(family), family).toBe(expected.deprecated_fallback?.split(".").pop() ?? null);
    }
  });
});

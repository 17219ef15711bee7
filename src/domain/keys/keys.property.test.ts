// Property tests: canonical strings of generated keys of every kind parse back to equal
// keys, and adversarial inputs up to 100 KB are answered in bounded time.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  InvalidKeyError,
  KEY_FAMILIES,
  MAX_KEY_LENGTH,
  describeKey,
  parseKey,
  type KeyFamily,
} from "./index.js";

const chars = (alphabet: string, minLength = 1, maxLength = 10) =>
  fc.string({ unit: fc.constantFrom(...Array.from(alphabet)), minLength, maxLength });

const WORD = "abcXYZ0189_éΩ中𝒜٣Ⅻß";
/** `[\w\-~.:]` */
const id = chars(`${WORD}-~.:`);
/** `[\w\-~.:%]` */
const blockId = chars(`${WORD}-~.:%`);
/** `[\w.%-]`: parts of deprecated ids. */
const deprecatedPart = chars(`${WORD}.%-`);
/** `[a-zA-Z0-9_\-.]`, optionally with the trailing newline Python's `$` lets through. */
const asciiName = fc.tuple(chars("abcXYZ019_-."), fc.boolean()).map(([name, newline]) => (newline ? `${name}\n` : name));
/** `[\w\-.]`, optionally with a trailing newline. */
const slug = fc.tuple(chars(`${WORD}-.`), fc.boolean()).map(([name, newline]) => (newline ? `${name}\n` : name));
const hex24 = chars("0123456789abcdef", 24, 24);
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

/** `org+course+run[+branch@b][+version@v]`: a course body that round-trips (a run, or nothing but a version). */
const courseBody = fc.oneof(
  fc
    .tuple(id, id, id, optional(id), optional(hex24))
    .map(([org, course, run, branch, version]) =>
      [org, course, run, branch && `branch@${branch}`, version && `version@${version}`].filter(Boolean).join("+"),
    ),
  hex24.map((version) => `version@${version}`),
);
const libraryBody = fc.oneof(
  fc
    .tuple(id, id, optional(id), optional(hex24))
    .map(([org, library, branch, version]) =>
      [org, library, branch && `branch@${branch}`, version && `version@${version}`].filter(Boolean).join("+"),
    ),
  hex24.map((version) => `version@${version}`),
);
const ccxId = chars("0123456789٣", 1, 4);
const blockPart = fc.tuple(id, blockId).map(([type, block]) => `+type@${type}+block@${block}`);
const strictBlockPart = fc.tuple(id, id).map(([type, block]) => `+type@${type}+block@${block}`);

const courseKeys = fc.oneof(
  courseBody.map((body) => `course-v1:${body}`),
  libraryBody.map((body) => `library-v1:${body}`),
  fc.tuple(courseBody, ccxId).map(([body, ccx]) => `ccx-v1:${body}+ccx@${ccx}`),
  fc.tuple(deprecatedPart, deprecatedPart, fc.oneof(deprecatedPart, fc.constant(""))).map((parts) => parts.join("/")),
);
const libraryV2 = fc.tuple(asciiName, slug);
const usageKeys = fc.oneof(
  fc.tuple(courseBody, strictBlockPart).map(([body, block]) => `block-v1:${body}${block}`),
  fc.tuple(libraryBody, strictBlockPart).map(([body, block]) => `lib-block-v1:${body}${block}`),
  fc.tuple(courseBody, ccxId, strictBlockPart).map(([body, ccx, block]) => `ccx-block-v1:${body}+ccx@${ccx}${block}`),
  fc.tuple(libraryV2, asciiName, slug).map(([[org, lib], type, usage]) => `lb:${org}:${lib}:${type}:${usage}`),
  fc.tuple(id, id, id, id, id).map((parts) => `location:${parts.join("+")}`),
  fc
    .tuple(deprecatedPart, deprecatedPart, chars(`${WORD}-.@ $\n`), blockId, optional(id))
    .map(([org, course, type, name, branch]) => `i4x://${org}/${course}/${type}/${name}${branch ? `@${branch}` : ""}`),
);
const assetKeys = fc.oneof(
  fc.tuple(courseBody, blockPart).map(([body, block]) => `asset-v1:${body}${block}`),
  fc
    .tuple(deprecatedPart, deprecatedPart, chars(`${WORD}-.@ `), blockId, optional(id))
    .map(([org, course, type, name, branch]) => `/c4x/${org}/${course}/${type}/${name}${branch ? `@${branch}` : ""}`),
);
const definitionKeys = fc.oneof(
  fc.tuple(hex24, id).map(([hex, type]) => `def-v1:${hex}+type@${type}`),
  fc
    .tuple(fc.uuid({ version: 4 }), fc.oneof(fc.nat().map(String), chars("abc-_x1")), asciiName, chars(`${WORD}-./`))
    .map(([uuid, version, type, path]) => `bundle-olx:${uuid}:${version}:${type}:${path}`),
);
const asideType = fc.string({ unit: fc.constantFrom(..."ab:$é\n ".split("")), maxLength: 8 });
const encodeV1 = (text: string) => text.split("$").join("$$").split("::").join("$::");
const encodeV2 = (text: string) => text.split("$").join("$$").split(":").join("$:");
const asideUsageKeys = fc.oneof(
  fc.tuple(usageKeys, asideType).map(([usage, type]) => `aside-usage-v2:${encodeV2(usage)}::${encodeV2(type)}`),
  fc
    .tuple(usageKeys, asideType)
    .filter(([usage]) => !usage.includes("::") && !usage.endsWith(":"))
    .map(([usage, type]) => `aside-usage-v1:${encodeV1(usage)}::${encodeV1(type)}`),
);
const asideDefinitionKeys = fc.oneof(
  fc.tuple(definitionKeys, asideType).map(([definition, type]) => `aside-def-v2:${encodeV2(definition)}::${encodeV2(type)}`),
  fc
    .tuple(definitionKeys, asideType)
    .filter(([definition]) => !definition.includes("::") && !definition.endsWith(":"))
    .map(([definition, type]) => `aside-def-v1:${encodeV1(definition)}::${encodeV1(type)}`),
);

/** Generated canonical inputs per family (each family gets its own kinds plus the ones it inherits). */
const GENERATED: Record<KeyFamily, fc.Arbitrary<string>> = {
  CourseKey: courseKeys,
  LearningContextKey: fc.oneof(courseKeys, libraryV2.map(([org, lib]) => `lib:${org}:${lib}`)),
  UsageKey: fc.oneof(usageKeys, asideUsageKeys),
  AssetKey: assetKeys,
  DefinitionKey: fc.oneof(definitionKeys, asideDefinitionKeys),
  AsideUsageKey: fc.oneof(
    asideUsageKeys,
    asideUsageKeys.map((inner) => `aside-usage-v2:${encodeV2(inner)}::${encodeV2("outer")}`),
  ),
  AsideDefinitionKey: asideDefinitionKeys,
  CollectionKey: fc.tuple(libraryV2, slug).map(([[org, lib], collection]) => `lib-collection:${org}:${lib}:${collection}`),
  ContainerKey: fc
    .tuple(libraryV2, asciiName, slug)
    .map(([[org, lib], type, container]) => `lct:${org}:${lib}:${type}:${container}`),
  BlockTypeKey: fc.oneof(
    fc
      .tuple(chars("abc.xyz1"), fc.string({ maxLength: 10 }))
      .filter(([family]) => family !== "xblock.v1" && family !== "xmodule.v1")
      .map(([family, type]) => `block-type-v1:${family}:${type}`),
    fc.string({ maxLength: 12 }).filter((type) => !type.includes(":")),
  ),
};

describe("round trip", () => {
  for (const family of KEY_FAMILIES) {
    it(`parse(canonical(k)) equals k for generated ${family}s`, () => {
      fc.assert(
        fc.property(GENERATED[family], (input) => {
          const key = parseKey(family, input);
          const canonical = key.toString();
          const again = parseKey(family, canonical);
          expect(again.equals(key)).toBe(true);
          expect(again.toString()).toBe(canonical);
          expect(describeKey(family, canonical).reparse_equal).toBe(true);
        }),
        { numRuns: 300 },
      );
    });
  }
});

const NEAR_MISSES = [
  "", "course-v1:", "course-v1", "Course-v1:", "course-v2:", "slashes:", "library-v1:", "lib:", "lb:", "lct:",
  "lib-collection:", "block-v1:", "lib-block-v1:", "ccx-v1:", "ccx-block-v1:", "location:", "asset-v1:", "def-v1:",
  "bundle-olx:", "aside-usage-v1:", "aside-usage-v2:", "aside-def-v1:", "aside-def-v2:", "block-type-v1:", "i4x://",
  "i4x:/", "/c4x/", "c4x/", "org/course/", "block-v1:org+course+run+", "block-v1:o+c+r+type@t+block@",
  "aside-usage-v2:block-v1$:o+c+r+type@t+block@b", "ccx-v1:o+c+r+ccx@", "def-v1:519665f6223ebd6980884f2b+type@",
];
const UNITS = [
  "+", "@", ":", "/", "$", "$:", "$$", "::", "a", "é", "𝒜", "+a", "a+", "@a", "type@", "+type@t", "branch@b+",
  "version@", "0", "f", "%", "~", ".", "-", "\n", " ", "aside-usage-v2:", "aside-usage-v2$:", "i4x://", "/a",
  "a/", ":a", "$::", "+ccx@1", "ccx@", "\u0301",
];

const adversarial = fc
  .tuple(
    fc.constantFrom(...NEAR_MISSES),
    fc.array(fc.constantFrom(...UNITS), { minLength: 1, maxLength: 3 }),
    fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom(MAX_KEY_LENGTH - 40, MAX_KEY_LENGTH, 100_000)),
    fc.constantFrom("", "a", "+block@b", "::t", "\n", "/x"),
  )
  .map(([prefix, units, length, suffix]) => {
    const unit = units.join("");
    const body = unit.repeat(Math.max(1, Math.ceil((length - prefix.length - suffix.length) / unit.length)));
    return `${prefix}${body}`.slice(0, Math.max(prefix.length + 1, length - suffix.length)) + suffix;
  });

/** A generous bound per call, so the test does not flake on a slow machine; typical answers take well under 1 ms. */
const LIMIT_MS = 50;

describe("bounded time", () => {
  it("answers adversarial inputs up to 100 KB within a few milliseconds", () => {
    // Warm up the JIT so the bound measures the algorithm, not compilation.
    for (const family of KEY_FAMILIES) for (const input of NEAR_MISSES) tryDescribe(family, `${input}x`);
    let slowest = 0;
    let slowestInput = "";
    let inputs = 0;
    fc.assert(
      fc.property(adversarial, (input) => {
        inputs += 1;
        for (const family of KEY_FAMILIES) {
          let elapsed = timed(family, input);
          // A garbage-collection pause is not the parser's doing: confirm a slow answer twice.
          if (elapsed >= LIMIT_MS) elapsed = Math.min(elapsed, timed(family, input), timed(family, input));
          if (elapsed > slowest) [slowest, slowestInput] = [elapsed, `${family} ${JSON.stringify(input.slice(0, 60))}… (${input.length} chars)`];
          expect(elapsed, `${family} took ${elapsed} ms on ${input.length} chars`).toBeLessThan(LIMIT_MS);
        }
      }),
      { numRuns: 400 },
    );
    console.log(`keys: ${inputs} adversarial inputs x ${KEY_FAMILIES.length} families, slowest ${slowest.toFixed(2)} ms (${slowestInput})`);
  });

  it("rejects random strings with InvalidKeyError only", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (input) => {
        for (const family of KEY_FAMILIES) tryDescribe(family, input);
      }),
      { numRuns: 2000 },
    );
  });
});

/** Milliseconds one describeKey call on `input` took. */
function timed(family: KeyFamily, input: string): number {
  const started = performance.now();
  tryDescribe(family, input);
  return performance.now() - started;
}

/** describeKey, treating InvalidKeyError as an answer; any other exception fails the test. */
function tryDescribe(family: KeyFamily, input: string): void {
  try {
    describeKey(family, input);
  } catch (error) {
    if (!(error instanceof InvalidKeyError)) throw error;
  }
}

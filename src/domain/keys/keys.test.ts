// Behaviour the server and other callers rely on, beyond what the reference vectors show.
import { describe, expect, it } from "vitest";
import {
  InvalidKeyError,
  KEY_FAMILIES,
  KeyOperationError,
  MAX_KEY_LENGTH,
  OpaqueKey,
  describeKey,
  parseAssetKey,
  parseCourseKey,
  parseKey,
  parseLearningContextKey,
  parseUsageKey,
  registerKeyClass,
  registeredNamespaces,
  type KeyFamily,
  type KeyParts,
} from "./index.js";

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidKeyError) return error.reason;
    throw error;
  }
  throw new Error("expected InvalidKeyError");
}

describe("usage keys as the server uses them", () => {
  it("gives block type and context of modern keys", () => {
    const key = parseUsageKey("block-v1:org+course+run+branch@draft+type@problem+block@p1");
    expect(key.blockType).toBe("problem");
    expect(key.blockId).toBe("p1");
    expect(key.contextKey.toString()).toBe("course-v1:org+course+run+branch@draft");
    expect(key.contextKey.run).toBe("run");
  });

  it("gives the wrapped key's block type and context for aside usage keys", () => {
    const key = parseUsageKey("aside-usage-v2:lb$:org$:lib$:html$:intro::tagging");
    expect(key.className).toBe("AsideUsageKeyV2");
    expect(key.blockType).toBe("html");
    expect(key.contextKey.toString()).toBe("lib:org:lib");
    expect(key.contextKey.course).toBeNull();
  });

  it("gives i4x:// keys a deprecated course key without a run, which has no string form", () => {
    const key = parseUsageKey("i4x://org/course/problem/p1@draft");
    expect(key.deprecated).toBe(true);
    expect(key.toString()).toBe("i4x://org/course/problem/p1@draft");
    expect(key.contextKey.deprecated).toBe(true);
    expect([key.contextKey.org, key.contextKey.course, key.contextKey.run]).toEqual(["org", "course", null]);
    expect(() => key.contextKey.toString()).toThrow(InvalidKeyError);
    expect(() => String(key.contextKey)).toThrow(/no string form/);
    expect(describeKey("UsageKey", key.toString())).not.toHaveProperty("course_key");
  });

  it("reports a missing block type as Python does: None in the string, null in the description", () => {
    const key = parseUsageKey("block-v1:org+course+run+block@p1");
    expect(key.blockType).toBe("None");
    expect(key.declaredBlockType).toBeNull();
    expect(key.toString()).toBe("block-v1:org+course+run+type@None+block@p1");
    expect(describeKey("UsageKey", "block-v1:org+course+run+block@p1").block_type).toBeNull();
  });

  it("keeps courses of deprecated org/course/run keys", () => {
    const key = parseLearningContextKey("org/course/run");
    expect([key.org, key.course, key.run, key.deprecated, key.toString()]).toEqual(["org", "course", "run", true, "org/course/run"]);
    expect(parseLearningContextKey("org/course/").run).toBe("");
  });
});

describe("invalid input", () => {
  it("explains what is wrong", () => {
    expect(reasonOf(() => parseUsageKey("block-v1:org+course+run+type@problem"))).toMatch(/block@/);
    expect(reasonOf(() => parseUsageKey("block-v1:org+course+run+type@pro blem+block@p"))).toMatch(/block type contains " "/);
    expect(reasonOf(() => parseCourseKey("course-v1:org+course+run+"))).toMatch(/empty part/);
    expect(reasonOf(() => parseCourseKey("course-v1:org+course+run+version@abc"))).toMatch(/24 hex digits/);
    expect(reasonOf(() => parseCourseKey("course-v1:org+course+run+type@t+branch@b"))).toMatch(/misplaced part "branch@"/);
    expect(reasonOf(() => parseCourseKey("nope"))).toMatch(/no namespace prefix.*org\/course\/run/);
    expect(reasonOf(() => parseLearningContextKey("lib:org"))).toMatch(/lib:org:slug/);
    expect(reasonOf(() => parseUsageKey("aside-usage-v2:nope::t"))).toMatch(/wrapped usage key "nope" is invalid/);
  });

  it("raises InvalidKeyError, and nothing else, for anything that is not a key", () => {
    for (const family of KEY_FAMILIES) {
      expect(() => parseKey(family, undefined as unknown as string)).toThrow(InvalidKeyError);
      expect(() => parseKey(family, "x".repeat(MAX_KEY_LENGTH + 1))).toThrow(/longer than/);
    }
    // Python raises ValueError for a whole parse here (int() of a superscript digit).
    expect(() => describeKey("DefinitionKey", "bundle-olx:4b33677f-7eb7-4376-8752-024ce057d7e8:²:html:a.xml")).toThrow(InvalidKeyError);
    expect(() => describeKey("Nope" as KeyFamily, "course-v1:a+b+c")).toThrow(InvalidKeyError);
  });

  it("reads \\w as Python 3.11 does (Unicode 14), not as this Node's newer Unicode", () => {
    expect(parseCourseKey("course-v1:é中𝒜Ⅻ٣_+course+run").org).toBe("é中𝒜Ⅻ٣_");
    // U+1E4D0 NAG MUNDARI LETTER O was added in Unicode 15.
    expect(() => parseCourseKey("course-v1:\u{1E4D0}+course+run")).toThrow(InvalidKeyError);
    // A combining mark is not \w.
    expect(() => parseCourseKey("course-v1:r\u0301un+course+run")).toThrow(InvalidKeyError);
  });
});

describe("key values", () => {
  it("are equal when their fields are, whatever the input spelling", () => {
    const upper = parseCourseKey("ccx-v1:org+course+run+VERSION@519665F6223EBD6980884F2B+CCX@٣");
    const lower = parseCourseKey("ccx-v1:org+course+run+version@519665f6223ebd6980884f2b+ccx@٣");
    expect(upper.equals(lower)).toBe(true);
    expect(upper.toString()).toBe("ccx-v1:org+course+run+version@519665f6223ebd6980884f2b+ccx@٣");
    expect(parseCourseKey("slashes:a+b+c").equals(parseCourseKey("course-v1:a+b+c"))).toBe(true);
    expect(parseCourseKey("a/b/c").equals(parseCourseKey("course-v1:a+b+c"))).toBe(false);
    expect(upper.equals("ccx-v1:org+course+run+version@519665f6223ebd6980884f2b+ccx@٣")).toBe(false);
  });

  it("map into other courses, or say why not", () => {
    const course = parseCourseKey("course-v1:X+Y+Z");
    expect(parseAssetKey("/c4x/o/c/asset/a%20b.png").mapIntoCourse(course).toString()).toBe("asset-v1:X+Y+Z+type@asset+block@a%20b.png");
    expect(() => parseUsageKey("i4x://o/c/problem/a%20b").mapIntoCourse(course)).toThrow(InvalidKeyError);
    const error = (() => {
      try {
        parseUsageKey("lb:org:lib:html:intro").mapIntoCourse(course);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(KeyOperationError);
    expect((error as KeyOperationError).pythonError).toBe("ValueError");
  });

  it("describe themselves as plain JSON values", () => {
    for (const input of ["aside-usage-v1:i4x://org/course/cat/name::aside", "bundle-olx:4b33677f-7eb7-4376-8752-024ce057d7e8:5:html:a.xml"]) {
      for (const family of ["UsageKey", "DefinitionKey"] as const) {
        let description;
        try {
          description = describeKey(family, input);
        } catch {
          continue;
        }
        expect(JSON.parse(JSON.stringify(description))).toEqual(description);
        for (const value of Object.values(description)) expect(["string", "boolean", "number"]).toContain(value === null ? "string" : typeof value);
      }
    }
    expect(describeKey("DefinitionKey", "bundle-olx:4b33677f-7eb7-4376-8752-024ce057d7e8:5:html:a.xml").bundle_version).toBe(5);
  });
});

describe("registry", () => {
  class ToyKey extends OpaqueKey {
    readonly className = "ToyKey";
    readonly namespace = "toy-v1";
    readonly deprecated = false;
    constructor(readonly blockType: string) {
      super();
    }
    override toString(): string {
      return `toy-v1:${this.blockType}`;
    }
    protected identity(): readonly unknown[] {
      return [this.blockType];
    }
    protected partSources(): Readonly<Record<string, () => KeyParts[string]>> {
      return { block_type: () => this.blockType };
    }
  }

  it("lets a new key kind register itself without touching the parsers", () => {
    registerKeyClass({ namespace: "toy-v1", className: "ToyKey", families: ["DefinitionKey"], parse: (body) => new ToyKey(body) });
    expect(registeredNamespaces("DefinitionKey").get("toy-v1")).toBe("ToyKey");
    expect(describeKey("DefinitionKey", "toy-v1:problem")).toMatchObject({ class: "ToyKey", block_type: "problem", reparse_equal: true });
    expect(() => parseKey("UsageKey", "toy-v1:problem")).toThrow(InvalidKeyError);
    expect(() =>
      registerKeyClass({ namespace: "toy-v1", className: "ToyKey", families: ["DefinitionKey"], parse: (body) => new ToyKey(body) }),
    ).toThrow(/already registered/);
  });
});

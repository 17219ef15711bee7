import { describe, expect, it } from "vitest";
import { languageOfShortCode, shortCodeOfLanguage } from "./language-code.js";

describe("languageOfShortCode()", () => {
  it("should store two-letter codes as they are and Chinese as the region codes of settings.LANGUAGES", () => {
    expect(["en", "es", "fr", "zh", "zh_HANS", "zh_HANT"].map((code) => languageOfShortCode(code, "language_short"))).toEqual(["en", "es", "fr", "zh", "zh-cn", "zh-hk"]);
  });

  it("should refuse what ALL_LANGUAGES does not list, naming the field", () => {
    for (const code of ["", "EN", "en-us", "zh-cn", "zh_hans", "xx", "eng"]) {
      expect(() => languageOfShortCode(code, "language_short"), code).toThrow(
        expect.objectContaining({ kind: "invalid-argument", reason: "INVALID_LANGUAGE_CODE", metadata: expect.objectContaining({ field: "language_short" }) }),
      );
    }
  });
});

describe("shortCodeOfLanguage()", () => {
  it("should read stored languages back as language_short does", () => {
    expect(["en", "zh-cn", "zh-hk", "fr-ca", "pt-br"].map(shortCodeOfLanguage)).toEqual(["en", "zh_HANS", "zh_HANT", "fr", "pt"]);
  });
});

import { invalidArgument } from "../errors.js";

// The short codes of the platform's `settings.ALL_LANGUAGES` (openedx-platform
// openedx/envs/common.py): ISO 639-1 codes, plus zh_HANS and zh_HANT for
// simplified and traditional Chinese. `CatalogCourse.language_short` accepts
// exactly these.
const allLanguages = new Set(
  [
    "aa ab af ak sq am ar an hy as av ae ay az ba bm eu be bn bh bi bs br bg my ca ch ce zh zh_HANS zh_HANT cu cv kw co cr cs da",
    "dv nl dz en eo et ee fo fj fi fr fy ff ka de gd ga gl gv el gn gu ht ha he hz hi ho hr hu ig is io ii iu ie ia id ik it jv",
    "ja kl kn ks kr kk km ki rw ky kv kg ko kj ku lo la lv li ln lt lb lu lg mk mh ml mi mr ms mg mt mn na nv nr nd ng ne nn nb",
    "no ny oc oj or om os pa fa pi pl pt ps qu rm ro rn ru sg sa si sk sl se sm sn sd so st es sc sr ss su sw sv ty ta tt te tg",
    "tl th bo ti to tn ts tk tr tw ug uk ur uz ve vi vo cy wa wo xh yi yo za zu",
  ]
    .join(" ")
    .split(" "),
);

// Chinese is stored as the region codes of `settings.LANGUAGES`; every other
// short code is stored as it is.
const storedOfShort: Readonly<Record<string, string>> = { zh_HANS: "zh-cn", zh_HANT: "zh-hk" };
const shortOfStored: Readonly<Record<string, string>> = { "zh-cn": "zh_HANS", "zh-hk": "zh_HANT" };

/** The language of a catalog course created without one: the platform's default `LANGUAGE_CODE`. */
export const defaultLanguage = "en";

/**
 * The stored language (`en`, `zh-cn`) of a short code of `ALL_LANGUAGES`
 * (`en`, `zh_HANS`), as `CatalogCourse.language_short`'s setter stores it.
 * Throws INVALID_ARGUMENT (INVALID_LANGUAGE_CODE) naming `field` for any
 * other string, the empty one included.
 */
export function languageOfShortCode(shortCode: string, field: string): string {
  if (!allLanguages.has(shortCode)) {
    throw invalidArgument(
      "INVALID_LANGUAGE_CODE",
      field,
      `${JSON.stringify(shortCode.slice(0, 20))} is not a language code of the platform's ALL_LANGUAGES (two lowercase letters such as "en" or "es", or "zh_HANS", "zh_HANT")`,
      { languageCode: shortCode.slice(0, 20) },
    );
  }
  return storedOfShort[shortCode] ?? shortCode;
}

/**
 * The short code of a stored language, as `CatalogCourse.language_short`
 * reads it: `zh_HANS`/`zh_HANT` for `zh-cn`/`zh-hk`, else the first two
 * letters (the locale dropped).
 */
export function shortCodeOfLanguage(language: string): string {
  return shortOfStored[language] ?? language.slice(0, 2);
}

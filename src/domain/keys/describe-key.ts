import { InvalidKeyError } from "./invalid-key-error.js";
import { isKeyFamily, type KeyFamily } from "./key-family.js";
import type { CourseKey, Key } from "./key-types.js";
import { unlessUnsupported, type KeyPartValue } from "./opaque-key.js";
import { parseRegisteredKey } from "./key-registry.js";
import { parseCourseKey } from "./parse-key.js";

/** The course that `map_into_course` maps into (as in the reference vectors). */
export const MAP_TARGET = "course-v1:X+Y+Z";
/** The deprecated course that `map_into_deprecated_course` maps into. */
export const MAP_TARGET_DEPRECATED = "X/Y/Z";

/**
 * A plain description of a parsed key, with the field names of the reference vectors:
 * `class`, `namespace`, `canonical` (the vectors' `str`), `deprecated`, then the
 * Python-visible parts (`org`, `course`, `run`, `branch`, `version_guid`, `block_type`,
 * `block_id`, `library`, `slug`, `aside_type`, `asset_type`, `path`, `definition_id`,
 * `bundle_uuid`, `bundle_version`, `draft_name`, `olx_path`, `collection_id`,
 * `container_type`, `container_id`, `block_family`, `is_course`; nested keys as strings:
 * `course_key`, `context_key`, `library_key`, `lib_key`, `usage_key`, `definition_key`),
 * then method results (`html_id`, `for_branch_none`, `version_agnostic`,
 * `map_into_course`, `map_into_deprecated_course`, as strings) and `reparse_equal`.
 * A part is absent where the key has no such attribute or method, or where Python
 * raises computing it. Values are strings, booleans and null, except `bundle_version`
 * (an integer).
 */
export interface KeyDescription {
  readonly [field: string]: KeyPartValue;
  readonly class: string;
  readonly namespace: string;
  readonly canonical: string;
  readonly deprecated: boolean;
  readonly reparse_equal: boolean;
}

interface KeyMethods {
  htmlId(): string;
  forBranch(branch: null): Key;
  versionAgnostic(): Key;
  mapIntoCourse(courseKey: CourseKey): Key;
}

let targets: { course: CourseKey; deprecated: CourseKey } | undefined;

/**
 * Parses `input` as a key of `family` and describes it (see {@link KeyDescription}).
 * Pure: the result depends on the arguments only. Throws InvalidKeyError, and nothing
 * else, if `input` does not parse or `family` is not a {@link KeyFamily}.
 */
export function describeKey(family: KeyFamily, input: string): KeyDescription {
  if (!isKeyFamily(family)) throw new InvalidKeyError(String(input), `unknown key family ${JSON.stringify(String(family))}`);
  const key = parseRegisteredKey(family, input);
  targets ??= { course: parseCourseKey(MAP_TARGET), deprecated: parseCourseKey(MAP_TARGET_DEPRECATED) };
  const { course, deprecated } = targets;
  const canonical = key.toString();
  const description: Record<string, KeyPartValue> = {
    class: key.className,
    namespace: key.namespace,
    canonical,
    deprecated: key.deprecated,
    ...key.describeParts(),
  };
  // Each operation is reported only if the key has it, and only if it succeeds.
  const has = key as Partial<KeyMethods>;
  const operations: [string, (() => Key | string) | undefined][] = [
    ["html_id", has.htmlId && (() => has.htmlId!())],
    ["for_branch_none", has.forBranch && (() => has.forBranch!(null))],
    ["version_agnostic", has.versionAgnostic && (() => has.versionAgnostic!())],
    ["map_into_course", has.mapIntoCourse && (() => has.mapIntoCourse!(course))],
    ["map_into_deprecated_course", has.mapIntoCourse && (() => has.mapIntoCourse!(deprecated))],
  ];
  for (const [field, operation] of operations) {
    if (operation === undefined) continue;
    const value = unlessUnsupported(() => operation().toString());
    if (value !== undefined) description[field] = value;
  }
  description.reparse_equal = unlessUnsupported(() => parseRegisteredKey(family, canonical).equals(key)) ?? false;
  return description as KeyDescription;
}

import { parseBlockParts, parseDeprecatedBlockParts } from "./block-parts.js";
import { CharClass, DEPRECATED_ID_CHARS, ID_CHARS } from "./char-class.js";
import { cleanForHtml } from "./clean-for-html.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { registerDeprecatedFallback, registerKeyClass } from "./key-registry.js";
import type { CourseKey, UsageKey } from "./key-types.js";
import { OpaqueKey, type PartSource } from "./opaque-key.js";

/** Python's string form of an optional value inside a key (`None` for a missing block type). */
function pythonText(value: string | null): string {
  return value ?? "None";
}

/**
 * Python `_parse_block_ref`: a block id is valid if it matches the class's id
 * characters, or, for deprecated keys, the deprecated id characters (which add `%`).
 */
export function blockIdProblem(blockId: string, deprecated: boolean, chars: CharClass): string | undefined {
  if (chars.matchesAll(blockId) || (deprecated && DEPRECATED_ID_CHARS.matchesAll(blockId))) return undefined;
  return chars.explain("block id", blockId) ?? "invalid block id";
}

/**
 * A block in a course: `block-v1:org+course+run[+branch@b][+version@v]+type@T+block@I`,
 * or the deprecated `i4x://org/course/type/id[@branch]` (whose course key has no run).
 * Without `type@`, Python's block type is None and the canonical string says `type@None`.
 */
export class BlockUsageLocator extends OpaqueKey implements UsageKey {
  static readonly NAMESPACE = "block-v1";
  /** Characters allowed in block ids of this class (`[\w\-~.:]`). */
  static readonly BLOCK_ID_CHARS: CharClass = ID_CHARS;

  get className(): string {
    return "BlockUsageLocator";
  }
  get namespace(): string {
    return BlockUsageLocator.NAMESPACE;
  }
  /** The tag of the deprecated form (`i4x`, or `c4x` for assets), as used in html ids. */
  protected get deprecatedTag(): string {
    return "i4x";
  }
  /** What the deprecated string form starts with (`i4x://`, or `/c4x/` for assets). */
  protected get deprecatedPrefix(): string {
    return "i4x://";
  }

  protected constructor(
    /** The course (or v1 library, or ccx) the block lives in. */
    readonly courseKey: CourseKey,
    /** The block type, or null where the key has no `type@` part (Python None). */
    readonly declaredBlockType: string | null,
    /** The block id. */
    readonly blockId: string,
  ) {
    super();
  }

  /** A block usage locator, with the block id validated as in Python. Throws InvalidKeyError. */
  static create(courseKey: CourseKey, blockType: string | null, blockId: string, input?: string): BlockUsageLocator {
    const problem = blockIdProblem(blockId, courseKey.deprecated, BlockUsageLocator.BLOCK_ID_CHARS);
    if (problem !== undefined) throw new InvalidKeyError(input ?? blockId, problem);
    return new BlockUsageLocator(courseKey, blockType, blockId);
  }

  /** Parses the body of a `block-v1:` key. Throws InvalidKeyError. */
  static fromBody(body: string, input: string): BlockUsageLocator {
    const { courseKey, blockType, blockId } = parseBlockParts(body, input);
    return BlockUsageLocator.create(courseKey, blockType, blockId, input);
  }

  /** Parses a deprecated `i4x://org/course/type/id[@branch]` key. Throws InvalidKeyError. */
  static fromDeprecatedString(input: string): BlockUsageLocator {
    const { courseKey, blockType, blockId } = parseDeprecatedBlockParts(input, "i4x://");
    return BlockUsageLocator.create(courseKey, blockType, blockId, input);
  }

  /** True for `i4x://` keys (the course key's flag). */
  get deprecated(): boolean {
    return this.courseKey.deprecated;
  }
  /** The block type; `"None"` where the key has no `type@` part (as the canonical string says). */
  get blockType(): string {
    return pythonText(this.declaredBlockType);
  }
  /** The course key (Python `context_key`). */
  get contextKey(): CourseKey {
    return this.courseKey;
  }
  /** The course key's org; null for version-only keys. */
  get org(): string | null {
    return this.courseKey.org;
  }
  /** The course key's course (the library, for library blocks); null for version-only keys. */
  get course(): string | null {
    return this.courseKey.course;
  }
  /** The course key's run; null for `i4x://` and version-only keys. */
  get run(): string | null {
    return this.courseKey.run;
  }
  /** The course key's branch, or null. */
  get branch(): string | null {
    return this.courseKey.branch;
  }
  /** The course key's version (24 lowercase hex digits), or null. */
  get versionGuid(): string | null {
    return this.courseKey.versionGuid;
  }

  /** `block-v1:…+type@T+block@I`, or `i4x://org/course/type/id[@branch]` for deprecated keys. Never throws. */
  override toString(): string {
    if (this.deprecated) return this.deprecatedString();
    return `${this.namespace}:${this.courseKey.locatorBody()}+type@${this.blockType}+block@${this.blockId}`;
  }

  /** The deprecated string form (`i4x://org/course/type/id[@branch]`). */
  protected deprecatedString(): string {
    const branch = this.branch ? `@${this.branch}` : "";
    return `${this.deprecatedPrefix}${pythonText(this.org)}/${pythonText(this.course)}/${this.blockType}/${this.blockId}${branch}`;
  }

  /** The block id; for deprecated keys, `i4x-org-course-type-id` cleaned for html. */
  htmlId(): string {
    if (!this.deprecated) return this.blockId;
    const fields = [this.deprecatedTag, this.org, this.course, this.declaredBlockType, this.blockId, this.versionGuid];
    return cleanForHtml(fields.filter((field) => field !== null).join("-"));
  }

  /** The same block on another branch of its course. Throws InvalidKeyError where the course key does. */
  forBranch(branch: string | null): BlockUsageLocator {
    return this.withCourseKey(this.courseKey.forBranch(branch));
  }

  /** The same block without a course version. Throws InvalidKeyError where the course key does. */
  versionAgnostic(): BlockUsageLocator {
    return this.withCourseKey(this.courseKey.versionAgnostic());
  }

  /** The same block in `courseKey`. Throws InvalidKeyError if the block id does not fit that course. */
  mapIntoCourse(courseKey: CourseKey): BlockUsageLocator {
    return this.withCourseKey(courseKey);
  }

  /** This key with another course key; this key itself if it is equal. */
  protected withCourseKey(courseKey: CourseKey): BlockUsageLocator {
    return courseKey.equals(this.courseKey) ? this : this.rebuild(courseKey);
  }

  /** A key of this class in another course (Python `type(self)(course_key, ...)`). */
  protected rebuild(courseKey: CourseKey): BlockUsageLocator {
    return BlockUsageLocator.create(courseKey, this.declaredBlockType, this.blockId);
  }

  protected identity(): readonly unknown[] {
    return [this.courseKey, this.declaredBlockType, this.blockId];
  }

  protected partSources(): Readonly<Record<string, PartSource>> {
    return {
      org: () => this.org,
      course: () => this.course,
      run: () => this.run,
      branch: () => this.branch,
      version_guid: () => this.versionGuid,
      block_type: () => this.declaredBlockType,
      block_id: () => this.blockId,
      course_key: () => this.courseKey,
      context_key: () => this.contextKey,
    };
  }
}

registerKeyClass({
  namespace: BlockUsageLocator.NAMESPACE,
  className: "BlockUsageLocator",
  families: ["UsageKey"],
  parse: (body, input) => BlockUsageLocator.fromBody(body, input),
});
registerDeprecatedFallback({
  family: "UsageKey",
  className: "BlockUsageLocator",
  form: "i4x://org/course/type/id",
  parse: (input) => BlockUsageLocator.fromDeprecatedString(input),
});

import { ASCII_NAME_CHARS, SLUG_CHARS } from "./char-class.js";
import { splitColonFields, stringFieldProblem } from "./colon-fields.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { KeyOperationError } from "./key-operation-error.js";
import { registerKeyClass } from "./key-registry.js";
import type { CourseKey, UsageKey } from "./key-types.js";
import { LibraryLocatorV2 } from "./library-locator-v2.js";
import { OpaqueKey, type PartSource } from "./opaque-key.js";

/**
 * A block in a v2 library: `lb:org:slug:type:usage_id`. The block type is ASCII
 * `[a-zA-Z0-9_\-.]`, the usage id `[\w\-.]`; each part may end with one newline.
 */
export class LibraryUsageLocatorV2 extends OpaqueKey implements UsageKey {
  static readonly NAMESPACE = "lb";
  readonly className = "LibraryUsageLocatorV2";
  readonly namespace = LibraryUsageLocatorV2.NAMESPACE;
  readonly deprecated = false;

  private constructor(
    /** The library. */
    readonly libKey: LibraryLocatorV2,
    readonly blockType: string,
    /** The usage id (also `blockId`). */
    readonly usageId: string,
  ) {
    super();
  }

  /** A v2 library block key. Throws InvalidKeyError if the block type or usage id is invalid. */
  static create(libKey: LibraryLocatorV2, blockType: string, usageId: string, input?: string): LibraryUsageLocatorV2 {
    const problem = stringFieldProblem("block type", blockType, ASCII_NAME_CHARS) ?? stringFieldProblem("usage id", usageId, SLUG_CHARS);
    if (problem !== undefined) throw new InvalidKeyError(input ?? usageId, problem);
    return new LibraryUsageLocatorV2(libKey, blockType, usageId);
  }

  /** Parses the body of an `lb:` key. Throws InvalidKeyError. */
  static fromBody(body: string, input: string): LibraryUsageLocatorV2 {
    const [org, slug, blockType, usageId] = splitColonFields(body, input, 4, "lb:org:slug:type:id") as [string, string, string, string];
    return LibraryUsageLocatorV2.create(LibraryLocatorV2.create(org, slug, input), blockType, usageId, input);
  }

  /** The block type (never null for these keys). */
  get declaredBlockType(): string {
    return this.blockType;
  }
  /** The usage id. */
  get blockId(): string {
    return this.usageId;
  }
  /** The library. */
  get contextKey(): LibraryLocatorV2 {
    return this.libKey;
  }

  /** `lb:org:slug:type:id`. Never throws. */
  override toString(): string {
    return `${this.namespace}:${this.libKey.org}:${this.libKey.slug}:${this.blockType}:${this.usageId}`;
  }

  /** The canonical string (html ids may hold any character but space). */
  htmlId(): string {
    return this.toString();
  }

  /** Throws KeyOperationError: a library block cannot be moved into a course (Python raises ValueError). */
  mapIntoCourse(courseKey: CourseKey): LibraryUsageLocatorV2 {
    if (courseKey.equals(this.libKey)) return this;
    throw new KeyOperationError("mapIntoCourse", "v2 library blocks cannot be mapped into a course", "ValueError");
  }

  protected identity(): readonly unknown[] {
    return [this.libKey, this.blockType, this.usageId];
  }

  protected partSources(): Readonly<Record<string, PartSource>> {
    return {
      block_type: () => this.blockType,
      block_id: () => this.blockId,
      lib_key: () => this.libKey,
      course_key: () => this.libKey,
      context_key: () => this.libKey,
    };
  }
}

registerKeyClass({
  namespace: LibraryUsageLocatorV2.NAMESPACE,
  className: "LibraryUsageLocatorV2",
  families: ["UsageKey"],
  parse: (body, input) => LibraryUsageLocatorV2.fromBody(body, input),
});

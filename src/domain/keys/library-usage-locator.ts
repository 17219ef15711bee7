import { BlockUsageLocator, blockIdProblem } from "./block-usage-locator.js";
import { ID_CHARS } from "./char-class.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { registerKeyClass } from "./key-registry.js";
import type { CourseKey } from "./key-types.js";
import { LibraryLocator } from "./library-locator.js";
import { BLOCK_LOCATOR_GRAMMAR, parseLocatorBody } from "./locator-body.js";
import type { PartSource } from "./opaque-key.js";

/**
 * A block in a legacy (v1) library: `lib-block-v1:org+library[+branch@b][+version@v]+type@T+block@I`.
 * Never deprecated; both `type@` and `block@` are required.
 */
export class LibraryUsageLocator extends BlockUsageLocator {
  static readonly LIBRARY_NAMESPACE = "lib-block-v1";
  override get className(): string {
    return "LibraryUsageLocator";
  }
  override get namespace(): string {
    return LibraryUsageLocator.LIBRARY_NAMESPACE;
  }

  /**
   * A library usage locator. Throws InvalidKeyError for a deprecated context or a block
   * type or id outside `[\w\-~.:]`. (Mapping into a course makes the context a course key.)
   */
  static override create(libraryKey: CourseKey, blockType: string | null, blockId: string, input?: string): LibraryUsageLocator {
    const fail = (reason: string): never => {
      throw new InvalidKeyError(input ?? blockId, reason);
    };
    if (libraryKey.deprecated) fail("library usage locators are never deprecated");
    const problem =
      blockIdProblem(blockId, false, ID_CHARS) ??
      (blockType === null ? "missing the type@ part" : ID_CHARS.explain("block type", blockType));
    if (problem !== undefined) fail(problem);
    return new LibraryUsageLocator(libraryKey, blockType, blockId);
  }

  /** Parses the body of a `lib-block-v1:` key. Throws InvalidKeyError. */
  static override fromBody(body: string, input: string): LibraryUsageLocator {
    const libraryKey = LibraryLocator.fromBody(body, input);
    const parsed = parseLocatorBody(body, input, BLOCK_LOCATOR_GRAMMAR);
    if (parsed.blockId === null) throw new InvalidKeyError(input, "missing the block@ part");
    if (parsed.blockType === null) throw new InvalidKeyError(input, "missing the type@ part");
    return LibraryUsageLocator.create(libraryKey, parsed.blockType, parsed.blockId, input);
  }

  /** Library usage locators have no deprecated form; they cannot be built from one. */
  static override fromDeprecatedString(input: string): never {
    throw new InvalidKeyError(input, "library usage locators have no deprecated form");
  }

  /** The library (the course key, under its Python name). */
  get libraryKey(): CourseKey {
    return this.courseKey;
  }

  override forBranch(branch: string | null): LibraryUsageLocator {
    return super.forBranch(branch) as LibraryUsageLocator;
  }

  override versionAgnostic(): LibraryUsageLocator {
    return super.versionAgnostic() as LibraryUsageLocator;
  }

  override mapIntoCourse(courseKey: CourseKey): LibraryUsageLocator {
    return super.mapIntoCourse(courseKey) as LibraryUsageLocator;
  }

  protected override rebuild(courseKey: CourseKey): LibraryUsageLocator {
    return LibraryUsageLocator.create(courseKey, this.declaredBlockType, this.blockId);
  }

  protected override partSources(): Readonly<Record<string, PartSource>> {
    return { ...super.partSources(), library_key: () => this.libraryKey };
  }
}

registerKeyClass({
  namespace: LibraryUsageLocator.LIBRARY_NAMESPACE,
  className: "LibraryUsageLocator",
  families: ["UsageKey"],
  parse: (body, input) => LibraryUsageLocator.fromBody(body, input),
});

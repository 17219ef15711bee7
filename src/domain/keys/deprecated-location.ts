import { BlockUsageLocator } from "./block-usage-locator.js";
import { ID_CHARS } from "./char-class.js";
import { CourseLocator } from "./course-locator.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { KeyOperationError } from "./key-operation-error.js";
import { registerKeyClass } from "./key-registry.js";
import type { CourseKey } from "./key-types.js";

/**
 * The short-lived `location:org+course+run+type+id` syntax. Its course key is a plain
 * (non-deprecated) course key; it cannot be moved to another course (Python raises
 * TypeError there).
 */
export class DeprecatedLocation extends BlockUsageLocator {
  static readonly LOCATION_NAMESPACE = "location";
  override get className(): string {
    return "DeprecatedLocation";
  }
  override get namespace(): string {
    return DeprecatedLocation.LOCATION_NAMESPACE;
  }

  /** A location; throws InvalidKeyError unless the context is a plain course with org, course and run and the type and id fit `[\w\-~.:]`. */
  static override create(courseKey: CourseKey, blockType: string | null, blockId: string, input?: string): DeprecatedLocation {
    const fail = (reason: string): never => {
      throw new InvalidKeyError(input ?? blockId, reason);
    };
    if (courseKey.versionGuid !== null || courseKey.branch !== null) fail("locations support no course versions or branches");
    if (courseKey.deprecated) fail("locations take a plain course key");
    const problem = (blockType === null ? "missing the block type" : ID_CHARS.explain("block type", blockType)) ?? ID_CHARS.explain("block id", blockId);
    if (problem !== undefined) fail(problem);
    return new DeprecatedLocation(courseKey, blockType, blockId);
  }

  /** Parses the body of a `location:` key: exactly five `+`-separated parts. Throws InvalidKeyError. */
  static override fromBody(body: string, input: string): DeprecatedLocation {
    const parts = body.split("+", 6);
    if (parts.length !== 5) throw new InvalidKeyError(input, "a location has exactly five parts: org+course+run+type+id");
    const [org, course, run, blockType, blockId] = parts as [string, string, string, string, string];
    const problem = ID_CHARS.explainFields({ org, course, run });
    if (problem !== undefined) throw new InvalidKeyError(input, problem);
    const courseKey = CourseLocator.create({ org, course, run, branch: null, versionGuid: null }, false, input);
    return DeprecatedLocation.create(courseKey, blockType, blockId, input);
  }

  /** Locations have no deprecated form of their own; they cannot be built from one. */
  static override fromDeprecatedString(input: string): never {
    throw new InvalidKeyError(input, "locations have no deprecated form");
  }

  /** `location:org+course+run+type+id`. Never throws. */
  override toString(): string {
    return `${this.namespace}:${[this.org, this.course, this.run, this.blockType, this.blockId].join("+")}`;
  }

  override forBranch(branch: string | null): DeprecatedLocation {
    return super.forBranch(branch) as DeprecatedLocation;
  }

  override versionAgnostic(): DeprecatedLocation {
    return super.versionAgnostic() as DeprecatedLocation;
  }

  /** Throws KeyOperationError unless `courseKey` is this key's own course (Python raises TypeError). */
  override mapIntoCourse(courseKey: CourseKey): DeprecatedLocation {
    return super.mapIntoCourse(courseKey) as DeprecatedLocation;
  }

  protected override rebuild(): never {
    throw new KeyOperationError("mapIntoCourse", "location: keys cannot be moved to another course", "TypeError");
  }
}

registerKeyClass({
  namespace: DeprecatedLocation.LOCATION_NAMESPACE,
  className: "DeprecatedLocation",
  families: ["UsageKey"],
  parse: (body, input) => DeprecatedLocation.fromBody(body, input),
});

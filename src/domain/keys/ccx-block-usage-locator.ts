import { BlockUsageLocator, blockIdProblem } from "./block-usage-locator.js";
import { CCXLocator } from "./ccx-locator.js";
import { ID_CHARS } from "./char-class.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { KeyOperationError } from "./key-operation-error.js";
import { registerKeyClass } from "./key-registry.js";
import type { CourseKey } from "./key-types.js";
import { CCX_LOCATOR_GRAMMAR, parseLocatorBody } from "./locator-body.js";

/**
 * A block in a custom course (edx-ccx-keys):
 * `ccx-block-v1:org+course+run[+branch@b][+version@v]+ccx@N[+type@T]+block@I`. Never deprecated.
 */
export class CCXBlockUsageLocator extends BlockUsageLocator {
  static readonly CCX_BLOCK_NAMESPACE = "ccx-block-v1";
  override get className(): string {
    return "CCXBlockUsageLocator";
  }
  override get namespace(): string {
    return CCXBlockUsageLocator.CCX_BLOCK_NAMESPACE;
  }

  /**
   * A ccx block usage locator. Throws InvalidKeyError for a block id outside `[\w\-~.:]`,
   * and KeyOperationError for a deprecated context (Python builds that key but cannot
   * print it: NotImplementedError).
   */
  static override create(courseKey: CourseKey, blockType: string | null, blockId: string, input?: string): CCXBlockUsageLocator {
    if (courseKey.deprecated) {
      throw new KeyOperationError("mapIntoCourse", "ccx block keys have no deprecated form", "NotImplementedError");
    }
    const problem = blockIdProblem(blockId, false, ID_CHARS);
    if (problem !== undefined) throw new InvalidKeyError(input ?? blockId, problem);
    return new CCXBlockUsageLocator(courseKey, blockType, blockId);
  }

  /** Parses the body of a `ccx-block-v1:` key. Throws InvalidKeyError. */
  static override fromBody(body: string, input: string): CCXBlockUsageLocator {
    const courseKey = CCXLocator.fromBody(body, input);
    const parsed = parseLocatorBody(body, input, CCX_LOCATOR_GRAMMAR);
    if (parsed.blockId === null) throw new InvalidKeyError(input, "missing the block@ part");
    return CCXBlockUsageLocator.create(courseKey, parsed.blockType, parsed.blockId, input);
  }

  /** Ccx block keys have no deprecated form; they cannot be built from one. */
  static override fromDeprecatedString(input: string): never {
    throw new InvalidKeyError(input, "ccx block keys have no deprecated form");
  }

  /** The ccx id, or null once mapped into a plain course. */
  get ccx(): string | null {
    return this.courseKey instanceof CCXLocator ? this.courseKey.ccx : null;
  }

  override forBranch(branch: string | null): CCXBlockUsageLocator {
    return super.forBranch(branch) as CCXBlockUsageLocator;
  }

  override versionAgnostic(): CCXBlockUsageLocator {
    return super.versionAgnostic() as CCXBlockUsageLocator;
  }

  override mapIntoCourse(courseKey: CourseKey): CCXBlockUsageLocator {
    return super.mapIntoCourse(courseKey) as CCXBlockUsageLocator;
  }

  protected override rebuild(courseKey: CourseKey): CCXBlockUsageLocator {
    return CCXBlockUsageLocator.create(courseKey, this.declaredBlockType, this.blockId);
  }
}

registerKeyClass({
  namespace: CCXBlockUsageLocator.CCX_BLOCK_NAMESPACE,
  className: "CCXBlockUsageLocator",
  families: ["UsageKey"],
  parse: (body, input) => CCXBlockUsageLocator.fromBody(body, input),
});

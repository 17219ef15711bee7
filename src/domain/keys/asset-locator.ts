import { parseBlockParts, parseDeprecatedBlockParts } from "./block-parts.js";
import { BlockUsageLocator, blockIdProblem } from "./block-usage-locator.js";
import { DEPRECATED_ID_CHARS } from "./char-class.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { registerDeprecatedFallback, registerKeyClass } from "./key-registry.js";
import type { AssetKey, CourseKey } from "./key-types.js";
import type { PartSource } from "./opaque-key.js";

/**
 * A course asset: `asset-v1:org+course+run+type@asset+block@path`, or the deprecated
 * `/c4x/org/course/type/path[@branch]`. Asset paths may also hold `%`.
 */
export class AssetLocator extends BlockUsageLocator implements AssetKey {
  static readonly ASSET_NAMESPACE = "asset-v1";
  override get className(): string {
    return "AssetLocator";
  }
  override get namespace(): string {
    return AssetLocator.ASSET_NAMESPACE;
  }
  protected override get deprecatedTag(): string {
    return "c4x";
  }
  protected override get deprecatedPrefix(): string {
    return "/c4x/";
  }

  /** An asset locator, with the path validated as in Python. Throws InvalidKeyError. */
  static override create(courseKey: CourseKey, assetType: string | null, path: string, input?: string): AssetLocator {
    const problem = blockIdProblem(path, courseKey.deprecated, DEPRECATED_ID_CHARS);
    if (problem !== undefined) throw new InvalidKeyError(input ?? path, problem);
    return new AssetLocator(courseKey, assetType, path);
  }

  /** Parses the body of an `asset-v1:` key. Throws InvalidKeyError. */
  static override fromBody(body: string, input: string): AssetLocator {
    const { courseKey, blockType, blockId } = parseBlockParts(body, input);
    return AssetLocator.create(courseKey, blockType, blockId, input);
  }

  /** Parses a deprecated `/c4x/org/course/type/path[@branch]` key. Throws InvalidKeyError. */
  static override fromDeprecatedString(input: string): AssetLocator {
    const { courseKey, blockType, blockId } = parseDeprecatedBlockParts(input, "/c4x/");
    return AssetLocator.create(courseKey, blockType, blockId, input);
  }

  /** The asset type; `"None"` where the key has no `type@` part. */
  get assetType(): string {
    return this.blockType;
  }
  /** The asset path (the block id). */
  get path(): string {
    return this.blockId;
  }

  override forBranch(branch: string | null): AssetLocator {
    return super.forBranch(branch) as AssetLocator;
  }

  override versionAgnostic(): AssetLocator {
    return super.versionAgnostic() as AssetLocator;
  }

  override mapIntoCourse(courseKey: CourseKey): AssetLocator {
    return super.mapIntoCourse(courseKey) as AssetLocator;
  }

  protected override rebuild(courseKey: CourseKey): AssetLocator {
    return AssetLocator.create(courseKey, this.declaredBlockType, this.blockId);
  }

  protected override partSources(): Readonly<Record<string, PartSource>> {
    return { ...super.partSources(), asset_type: () => this.declaredBlockType, path: () => this.path };
  }
}

registerKeyClass({
  namespace: AssetLocator.ASSET_NAMESPACE,
  className: "AssetLocator",
  families: ["AssetKey"],
  parse: (body, input) => AssetLocator.fromBody(body, input),
});
registerDeprecatedFallback({
  family: "AssetKey",
  className: "AssetLocator",
  form: "/c4x/org/course/type/path",
  parse: (input) => AssetLocator.fromDeprecatedString(input),
});

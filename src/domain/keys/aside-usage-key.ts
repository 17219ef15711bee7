import { ASIDE_V1, ASIDE_V2 } from "./aside-encoding.js";
import { KeyOperationError } from "./key-operation-error.js";
import { registerKeyClass } from "./key-registry.js";
import type { AsideUsageKey, CourseKey, LearningContextKey, UsageKey } from "./key-types.js";
import { OpaqueKey, type PartSource } from "./opaque-key.js";
import { parseAsideBody } from "./parse-aside-body.js";

/**
 * The usage key of an aside: `aside-usage-v2:<usage key>::<aside type>`, where `$` and `:`
 * in both halves are escaped as `$$` and `$:`. Its block type, block id and context are
 * those of the wrapped usage key.
 */
export class AsideUsageKeyV2 extends OpaqueKey implements AsideUsageKey {
  static readonly NAMESPACE: string = "aside-usage-v2";
  get className(): string {
    return "AsideUsageKeyV2";
  }
  get namespace(): string {
    return AsideUsageKeyV2.NAMESPACE;
  }
  readonly deprecated = false;

  protected constructor(
    /** The usage key of the decorated block. */
    readonly usageKey: UsageKey,
    /** The aside type (may be empty). */
    readonly asideType: string,
  ) {
    super();
  }

  /** An aside usage key (any usage key can be wrapped). */
  static create(usageKey: UsageKey, asideType: string): AsideUsageKeyV2 {
    return new AsideUsageKeyV2(usageKey, asideType);
  }

  /** Parses the body of an `aside-usage-v2:` key. Throws InvalidKeyError. */
  static fromBody(body: string, input: string): AsideUsageKeyV2 {
    const { wrapped, asideType } = parseAsideBody("UsageKey", ASIDE_V2, body, input);
    return AsideUsageKeyV2.create(wrapped, asideType);
  }

  /** The wrapped key's block type. */
  get blockType(): string {
    return this.usageKey.blockType;
  }
  /** The wrapped key's block type as Python reports it (null if it has no `type@`). */
  get declaredBlockType(): string | null {
    return this.usageKey.declaredBlockType;
  }
  /** The wrapped key's block id. */
  get blockId(): string {
    return this.usageKey.blockId;
  }
  /** The context of the wrapped usage key. */
  get contextKey(): LearningContextKey {
    return this.usageKey.contextKey;
  }

  /** `aside-usage-v2:<escaped usage key>::<escaped aside type>`. Never throws. */
  override toString(): string {
    return `${this.namespace}:${ASIDE_V2.join(this.usageKey.toString(), this.asideType)}`;
  }

  /** The same aside on the wrapped block mapped into `courseKey`. Throws where mapping the wrapped key does. */
  mapIntoCourse(courseKey: CourseKey): AsideUsageKeyV2 {
    const mapped = this.usageKey.mapIntoCourse(courseKey);
    return mapped.equals(this.usageKey) ? this : this.rebuild(mapped);
  }

  /** A key of this class around another usage key. */
  protected rebuild(usageKey: UsageKey): AsideUsageKeyV2 {
    return AsideUsageKeyV2.create(usageKey, this.asideType);
  }

  protected identity(): readonly unknown[] {
    return [this.usageKey, this.asideType];
  }

  protected partSources(): Readonly<Record<string, PartSource>> {
    return {
      block_type: () => this.declaredBlockType,
      block_id: () => this.blockId,
      aside_type: () => this.asideType,
      usage_key: () => this.usageKey,
      course_key: () => this.contextKey,
      context_key: () => this.contextKey,
    };
  }
}

/**
 * The original aside usage key, `aside-usage-v1:<usage key>::<aside type>`, which only
 * escapes `$` and `::` and so cannot wrap usage keys that contain `::` or end with `:`.
 */
export class AsideUsageKeyV1 extends AsideUsageKeyV2 {
  static override readonly NAMESPACE: string = "aside-usage-v1";
  override get className(): string {
    return "AsideUsageKeyV1";
  }
  override get namespace(): string {
    return AsideUsageKeyV1.NAMESPACE;
  }

  /** A v1 aside usage key. Throws KeyOperationError if the usage key cannot be wrapped (Python ValueError). */
  static override create(usageKey: UsageKey, asideType: string): AsideUsageKeyV1 {
    const problem = ASIDE_V1.wrapProblem(usageKey, "usage key");
    if (problem !== undefined) throw new KeyOperationError("AsideUsageKeyV1", problem, "ValueError");
    return new AsideUsageKeyV1(usageKey, asideType);
  }

  /** Parses the body of an `aside-usage-v1:` key. Throws InvalidKeyError. */
  static override fromBody(body: string, input: string): AsideUsageKeyV1 {
    const { wrapped, asideType } = parseAsideBody("UsageKey", ASIDE_V1, body, input);
    return new AsideUsageKeyV1(wrapped, asideType);
  }

  /** `aside-usage-v1:<escaped usage key>::<escaped aside type>`. Never throws. */
  override toString(): string {
    return `${this.namespace}:${ASIDE_V1.join(this.usageKey.toString(), this.asideType)}`;
  }

  override mapIntoCourse(courseKey: CourseKey): AsideUsageKeyV1 {
    return super.mapIntoCourse(courseKey) as AsideUsageKeyV1;
  }

  protected override rebuild(usageKey: UsageKey): AsideUsageKeyV1 {
    return AsideUsageKeyV1.create(usageKey, this.asideType);
  }
}

registerKeyClass({
  namespace: AsideUsageKeyV1.NAMESPACE,
  className: "AsideUsageKeyV1",
  families: ["UsageKey", "AsideUsageKey"],
  parse: (body, input) => AsideUsageKeyV1.fromBody(body, input),
});
registerKeyClass({
  namespace: AsideUsageKeyV2.NAMESPACE,
  className: "AsideUsageKeyV2",
  families: ["UsageKey", "AsideUsageKey"],
  parse: (body, input) => AsideUsageKeyV2.fromBody(body, input),
});

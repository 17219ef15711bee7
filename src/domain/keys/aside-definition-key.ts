import { ASIDE_V1, ASIDE_V2 } from "./aside-encoding.js";
import { KeyOperationError } from "./key-operation-error.js";
import { registerKeyClass } from "./key-registry.js";
import type { AsideDefinitionKey, DefinitionKey } from "./key-types.js";
import { OpaqueKey, type PartSource } from "./opaque-key.js";
import { parseAsideBody } from "./parse-aside-body.js";

/**
 * The definition key of an aside: `aside-def-v2:<definition key>::<aside type>`, where `$`
 * and `:` in both halves are escaped as `$$` and `$:`. Its block type is that of the
 * wrapped definition.
 */
export class AsideDefinitionKeyV2 extends OpaqueKey implements AsideDefinitionKey {
  static readonly NAMESPACE: string = "aside-def-v2";
  get className(): string {
    return "AsideDefinitionKeyV2";
  }
  get namespace(): string {
    return AsideDefinitionKeyV2.NAMESPACE;
  }
  readonly deprecated = false;

  protected constructor(
    /** The decorated definition. */
    readonly definitionKey: DefinitionKey,
    /** The aside type (may be empty). */
    readonly asideType: string,
  ) {
    super();
  }

  /** An aside definition key (any definition key can be wrapped). */
  static create(definitionKey: DefinitionKey, asideType: string): AsideDefinitionKeyV2 {
    return new AsideDefinitionKeyV2(definitionKey, asideType);
  }

  /** Parses the body of an `aside-def-v2:` key. Throws InvalidKeyError. */
  static fromBody(body: string, input: string): AsideDefinitionKeyV2 {
    const { wrapped, asideType } = parseAsideBody("DefinitionKey", ASIDE_V2, body, input);
    return AsideDefinitionKeyV2.create(wrapped, asideType);
  }

  /** The wrapped definition's block type. */
  get blockType(): string {
    return this.definitionKey.blockType;
  }

  /** `aside-def-v2:<escaped definition key>::<escaped aside type>`. Never throws. */
  override toString(): string {
    return `${this.namespace}:${ASIDE_V2.join(this.definitionKey.toString(), this.asideType)}`;
  }

  protected identity(): readonly unknown[] {
    return [this.definitionKey, this.asideType];
  }

  protected partSources(): Readonly<Record<string, PartSource>> {
    return {
      block_type: () => this.blockType,
      aside_type: () => this.asideType,
      definition_key: () => this.definitionKey,
    };
  }
}

/**
 * The original aside definition key, `aside-def-v1:<definition key>::<aside type>`, which
 * only escapes `$` and `::` and so cannot wrap keys that contain `::` or end with `:`.
 */
export class AsideDefinitionKeyV1 extends AsideDefinitionKeyV2 {
  static override readonly NAMESPACE: string = "aside-def-v1";
  override get className(): string {
    return "AsideDefinitionKeyV1";
  }
  override get namespace(): string {
    return AsideDefinitionKeyV1.NAMESPACE;
  }

  /** A v1 aside definition key. Throws KeyOperationError if the key cannot be wrapped (Python ValueError). */
  static override create(definitionKey: DefinitionKey, asideType: string): AsideDefinitionKeyV1 {
    const problem = ASIDE_V1.wrapProblem(definitionKey, "definition key");
    if (problem !== undefined) throw new KeyOperationError("AsideDefinitionKeyV1", problem, "ValueError");
    return new AsideDefinitionKeyV1(definitionKey, asideType);
  }

  /** Parses the body of an `aside-def-v1:` key. Throws InvalidKeyError. */
  static override fromBody(body: string, input: string): AsideDefinitionKeyV1 {
    const { wrapped, asideType } = parseAsideBody("DefinitionKey", ASIDE_V1, body, input);
    return new AsideDefinitionKeyV1(wrapped, asideType);
  }

  /** `aside-def-v1:<escaped definition key>::<escaped aside type>`. Never throws. */
  override toString(): string {
    return `${this.namespace}:${ASIDE_V1.join(this.definitionKey.toString(), this.asideType)}`;
  }
}

registerKeyClass({
  namespace: AsideDefinitionKeyV1.NAMESPACE,
  className: "AsideDefinitionKeyV1",
  families: ["DefinitionKey", "AsideDefinitionKey"],
  parse: (body, input) => AsideDefinitionKeyV1.fromBody(body, input),
});
registerKeyClass({
  namespace: AsideDefinitionKeyV2.NAMESPACE,
  className: "AsideDefinitionKeyV2",
  families: ["DefinitionKey", "AsideDefinitionKey"],
  parse: (body, input) => AsideDefinitionKeyV2.fromBody(body, input),
});

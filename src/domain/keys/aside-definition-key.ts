import {
  decodeAsideV1,
  decodeAsideV2,
  encodeAsideV1,
  encodeAsideV2,
  splitAsideV1,
  splitAsideV2,
} from "./aside-encoding.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { KeyOperationError } from "./key-operation-error.js";
import { parseRegisteredKey, registerKeyClass } from "./key-registry.js";
import type { AsideDefinitionKey, DefinitionKey } from "./key-types.js";
import { OpaqueKey, type PartSource } from "./opaque-key.js";

/** Parses the wrapped definition key of an aside key, explaining a failure in terms of the whole input. */
function parseWrapped(text: string, input: string): DefinitionKey {
  try {
    return parseRegisteredKey("DefinitionKey", text);
  } catch (error) {
    if (error instanceof InvalidKeyError) {
      throw new InvalidKeyError(input, `the wrapped definition key ${JSON.stringify(text.slice(0, 80))} is invalid: ${error.reason}`);
    }
    throw error;
  }
}

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
    const halves = splitAsideV2(body).map((half) => decodeAsideV2(half));
    for (const half of halves) if ("problem" in half) throw new InvalidKeyError(input, `bad escaping: ${half.problem}`);
    const [definition, asideType] = halves.map((half) => ("value" in half ? half.value : "")) as [string, string];
    return AsideDefinitionKeyV2.create(parseWrapped(definition, input), asideType);
  }

  /** The wrapped definition's block type. */
  get blockType(): string {
    return this.definitionKey.blockType;
  }

  /** `aside-def-v2:<escaped definition key>::<escaped aside type>`. Never throws. */
  override toString(): string {
    return `${this.namespace}:${encodeAsideV2(this.definitionKey.toString())}::${encodeAsideV2(this.asideType)}`;
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

/** Why a definition key cannot be wrapped by a v1 aside key, or undefined if it can. */
function v1Problem(definitionKey: DefinitionKey): string | undefined {
  const text = definitionKey.toString();
  return text.includes("::") || text.endsWith(":")
    ? "v1 aside keys cannot wrap a definition key containing '::' or ending with ':'"
    : undefined;
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
    const problem = v1Problem(definitionKey);
    if (problem !== undefined) throw new KeyOperationError("AsideDefinitionKeyV1", problem, "ValueError");
    return new AsideDefinitionKeyV1(definitionKey, asideType);
  }

  /** Parses the body of an `aside-def-v1:` key. Throws InvalidKeyError. */
  static override fromBody(body: string, input: string): AsideDefinitionKeyV1 {
    const [left, right] = splitAsideV1(body);
    const definition = decodeAsideV1(left);
    const asideType = decodeAsideV1(right);
    if (definition === null || asideType === null) throw new InvalidKeyError(input, "ambiguous escaping of '$' or '::'");
    const definitionKey = parseWrapped(definition, input);
    const problem = v1Problem(definitionKey);
    if (problem !== undefined) throw new InvalidKeyError(input, problem);
    return new AsideDefinitionKeyV1(definitionKey, asideType);
  }

  /** `aside-def-v1:<escaped definition key>::<escaped aside type>`. Never throws. */
  override toString(): string {
    return `${this.namespace}:${encodeAsideV1(this.definitionKey.toString())}::${encodeAsideV1(this.asideType)}`;
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

import { ID_CHARS, LOWER_HEX_CHARS } from "./char-class.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { registerKeyClass } from "./key-registry.js";
import type { DefinitionKey } from "./key-types.js";
import { toObjectId } from "./object-id.js";
import { OpaqueKey, type PartSource } from "./opaque-key.js";

/** A modulestore definition: `def-v1:<24 lowercase hex>+type@<block type>`. */
export class DefinitionLocator extends OpaqueKey implements DefinitionKey {
  static readonly NAMESPACE = "def-v1";
  readonly className = "DefinitionLocator";
  readonly namespace = DefinitionLocator.NAMESPACE;
  readonly deprecated = false;

  private constructor(
    /** 24 lowercase hex digits. */
    readonly definitionId: string,
    readonly blockType: string,
  ) {
    super();
  }

  /** Parses the body of a `def-v1:` key. Throws InvalidKeyError. */
  static fromBody(body: string, input: string): DefinitionLocator {
    const fail = (reason: string): never => {
      throw new InvalidKeyError(input, reason);
    };
    const plus = body.indexOf("+");
    if (plus < 0 || !body.startsWith("type@", plus + 1)) fail("expected def-v1:<id>+type@<block type>");
    const id = body.slice(0, plus);
    const blockType = body.slice(plus + "+type@".length);
    const problem = LOWER_HEX_CHARS.explain("definition id", id) ?? ID_CHARS.explain("block type", blockType);
    if (problem !== undefined) fail(problem);
    const definitionId = toObjectId(id);
    if (definitionId === null) fail("the definition id is not 24 hex digits");
    return new DefinitionLocator(definitionId!, blockType);
  }

  /** `def-v1:<id>+type@<type>`. Never throws. */
  override toString(): string {
    return `${this.namespace}:${this.definitionId}+type@${this.blockType}`;
  }

  protected identity(): readonly unknown[] {
    return [this.definitionId, this.blockType];
  }

  protected partSources(): Readonly<Record<string, PartSource>> {
    return { block_type: () => this.blockType, definition_id: () => this.definitionId };
  }
}

registerKeyClass({
  namespace: DefinitionLocator.NAMESPACE,
  className: "DefinitionLocator",
  families: ["DefinitionKey"],
  parse: (body, input) => DefinitionLocator.fromBody(body, input),
});

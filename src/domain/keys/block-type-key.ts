import { InvalidKeyError } from "./invalid-key-error.js";
import { registerDeprecatedFallback, registerKeyClass } from "./key-registry.js";
import type { BlockTypeKey } from "./key-types.js";
import { OpaqueKey, type PartSource } from "./opaque-key.js";

/** The family of ordinary XBlocks; keys of this family print as the bare block type. */
export const XBLOCK_V1 = "xblock.v1";
/** The legacy XModule family, treated as {@link XBLOCK_V1}. */
export const XMODULE_V1 = "xmodule.v1";

/**
 * An XBlock type with its family: `block-type-v1:<family>:<type>`. Any string without
 * that prefix is the deprecated form, a bare type of the `xblock.v1` family, so almost
 * every string parses.
 */
export class BlockTypeKeyV1 extends OpaqueKey implements BlockTypeKey {
  static readonly NAMESPACE = "block-type-v1";
  readonly className = "BlockTypeKeyV1";
  readonly namespace = BlockTypeKeyV1.NAMESPACE;
  readonly blockFamily: string;
  readonly deprecated: boolean;

  private constructor(
    blockFamily: string,
    readonly blockType: string,
  ) {
    super();
    this.blockFamily = blockFamily === XMODULE_V1 ? XBLOCK_V1 : blockFamily;
    this.deprecated = this.blockFamily === XBLOCK_V1;
  }

  /** A block type key; `xmodule.v1` becomes `xblock.v1`. Throws InvalidKeyError if the family holds `:`. */
  static create(blockFamily: string, blockType: string): BlockTypeKeyV1 {
    if (blockFamily.includes(":")) throw new InvalidKeyError(blockFamily, "a block family may not contain ':'");
    return new BlockTypeKeyV1(blockFamily, blockType);
  }

  /** Parses the body of a `block-type-v1:` key: `<family>:<type>`. Throws InvalidKeyError if there is no `:`. */
  static fromBody(body: string, input: string): BlockTypeKeyV1 {
    const colon = body.indexOf(":");
    if (colon < 0) throw new InvalidKeyError(input, "expected block-type-v1:<family>:<type>");
    return BlockTypeKeyV1.create(body.slice(0, colon), body.slice(colon + 1));
  }

  /** The deprecated form: any string is a block type of the `xblock.v1` family. */
  static fromDeprecatedString(input: string): BlockTypeKeyV1 {
    return BlockTypeKeyV1.create(XBLOCK_V1, input);
  }

  /** The bare block type for `xblock.v1` keys, else `block-type-v1:family:type`. Never throws. */
  override toString(): string {
    return this.deprecated ? this.blockType : `${this.namespace}:${this.blockFamily}:${this.blockType}`;
  }

  protected identity(): readonly unknown[] {
    return [this.blockFamily, this.blockType];
  }

  protected partSources(): Readonly<Record<string, PartSource>> {
    return { block_type: () => this.blockType, block_family: () => this.blockFamily };
  }
}

registerKeyClass({
  namespace: BlockTypeKeyV1.NAMESPACE,
  className: "BlockTypeKeyV1",
  families: ["BlockTypeKey"],
  parse: (body, input) => BlockTypeKeyV1.fromBody(body, input),
});
registerDeprecatedFallback({
  family: "BlockTypeKey",
  className: "BlockTypeKeyV1",
  form: "bare block type",
  parse: (input) => BlockTypeKeyV1.fromDeprecatedString(input),
});

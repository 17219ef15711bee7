import { ASCII_NAME_CHARS, OLX_PATH_CHARS, isDecimalCodePoint, isDigitCodePoint } from "./char-class.js";
import { stringFieldProblem } from "./colon-fields.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { registerKeyClass } from "./key-registry.js";
import type { DefinitionKey } from "./key-types.js";
import { OpaqueKey, type PartSource } from "./opaque-key.js";

const STANDARD_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CANONICAL_NUMBER = /^(?:0|[1-9][0-9]*)$/;
/** Python 3.11's default limit on the digits `int()` converts. */
const MAX_INT_DIGITS = 4300;

function every(text: string, test: (codePoint: number) => boolean): boolean {
  for (const char of text) if (!test(char.codePointAt(0)!)) return false;
  return true;
}

/**
 * DEPRECATED in Open edX (Blockstore): OLX in a bundle,
 * `bundle-olx:<uuid>:<version number or draft name>:<block type>:<olx path>`.
 * The uuid must be in standard lowercase form; a part of digits is a version number
 * (written canonically), anything else a draft name.
 */
export class BundleDefinitionLocator extends OpaqueKey implements DefinitionKey {
  static readonly NAMESPACE = "bundle-olx";
  readonly className = "BundleDefinitionLocator";
  readonly namespace = BundleDefinitionLocator.NAMESPACE;
  readonly deprecated = false;

  private constructor(
    readonly bundleUuid: string,
    readonly blockType: string,
    readonly olxPath: string,
    /** The bundle version number as written (canonical decimal), or null for a draft. */
    readonly bundleVersionText: string | null,
    /** The draft name, or null for a version. */
    readonly draftName: string | null,
  ) {
    super();
  }

  /** Parses the body of a `bundle-olx:` key. Throws InvalidKeyError. */
  static fromBody(body: string, input: string): BundleDefinitionLocator {
    const fail = (reason: string): never => {
      throw new InvalidKeyError(input, reason);
    };
    const first = body.indexOf(":");
    const second = first < 0 ? -1 : body.indexOf(":", first + 1);
    const third = second < 0 ? -1 : body.indexOf(":", second + 1);
    if (third < 0) fail("expected bundle-olx:<uuid>:<version or draft>:<block type>:<olx path>");
    const bundleUuid = body.slice(0, first);
    const versionOrDraft = body.slice(first + 1, second);
    const blockType = body.slice(second + 1, third);
    const olxPath = body.slice(third + 1);
    let version: string | null = null;
    let draft: string | null = null;
    if (versionOrDraft !== "" && every(versionOrDraft, isDigitCodePoint)) {
      // Python's int() rejects these (ValueError), and non-canonical numbers fail its round trip.
      if (!every(versionOrDraft, isDecimalCodePoint)) fail("the version holds digits that are not decimal");
      if (versionOrDraft.length > MAX_INT_DIGITS) fail(`the version has more than ${MAX_INT_DIGITS} digits`);
      if (!CANONICAL_NUMBER.test(versionOrDraft)) fail("the version number is not written canonically");
      version = versionOrDraft;
    } else {
      if (versionOrDraft === "") fail("the draft name is empty");
      draft = versionOrDraft;
    }
    if (!STANDARD_UUID.test(bundleUuid)) fail("the bundle uuid is not in standard lowercase form");
    const problem = stringFieldProblem("block type", blockType, ASCII_NAME_CHARS) ?? stringFieldProblem("olx path", olxPath, OLX_PATH_CHARS);
    if (problem !== undefined) fail(problem);
    return new BundleDefinitionLocator(bundleUuid, blockType, olxPath, version, draft);
  }

  /** The bundle version as a number (imprecise beyond 2^53), or null for a draft. */
  get bundleVersion(): number | null {
    return this.bundleVersionText === null ? null : Number(this.bundleVersionText);
  }

  /** `bundle-olx:<uuid>:<version or draft>:<type>:<path>`. Never throws. */
  override toString(): string {
    return `${this.namespace}:${this.bundleUuid}:${this.bundleVersionText ?? this.draftName}:${this.blockType}:${this.olxPath}`;
  }

  protected identity(): readonly unknown[] {
    return [this.bundleUuid, this.blockType, this.olxPath, this.bundleVersionText, this.draftName];
  }

  protected partSources(): Readonly<Record<string, PartSource>> {
    return {
      block_type: () => this.blockType,
      bundle_uuid: () => this.bundleUuid,
      bundle_version: () => this.bundleVersion,
      draft_name: () => this.draftName,
      olx_path: () => this.olxPath,
    };
  }
}

registerKeyClass({
  namespace: BundleDefinitionLocator.NAMESPACE,
  className: "BundleDefinitionLocator",
  families: ["DefinitionKey"],
  parse: (body, input) => BundleDefinitionLocator.fromBody(body, input),
});

import { ASCII_NAME_CHARS, SLUG_CHARS } from "./char-class.js";
import { splitColonFields, stringFieldProblem } from "./colon-fields.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { registerKeyClass } from "./key-registry.js";
import type { ContainerKey } from "./key-types.js";
import { LibraryLocatorV2 } from "./library-locator-v2.js";
import { OpaqueKey, type PartSource } from "./opaque-key.js";

/**
 * A container (unit, section, …) in a v2 library: `lct:org:slug:type:id`. The type is
 * ASCII `[a-zA-Z0-9_\-.]`, the id `[\w\-.]`.
 */
export class LibraryContainerLocator extends OpaqueKey implements ContainerKey {
  static readonly NAMESPACE = "lct";
  readonly className = "LibraryContainerLocator";
  readonly namespace = LibraryContainerLocator.NAMESPACE;
  readonly deprecated = false;

  private constructor(
    readonly libKey: LibraryLocatorV2,
    readonly containerType: string,
    readonly containerId: string,
  ) {
    super();
  }

  /** A container key. Throws InvalidKeyError if the container type or id is invalid. */
  static create(libKey: LibraryLocatorV2, containerType: string, containerId: string, input?: string): LibraryContainerLocator {
    const problem =
      stringFieldProblem("container type", containerType, ASCII_NAME_CHARS) ??
      stringFieldProblem("container id", containerId, SLUG_CHARS);
    if (problem !== undefined) throw new InvalidKeyError(input ?? containerId, problem);
    return new LibraryContainerLocator(libKey, containerType, containerId);
  }

  /** Parses the body of an `lct:` key. Throws InvalidKeyError. */
  static fromBody(body: string, input: string): LibraryContainerLocator {
    const [org, slug, containerType, containerId] = splitColonFields(body, input, 4, "lct:org:slug:type:id") as [string, string, string, string];
    return LibraryContainerLocator.create(LibraryLocatorV2.create(org, slug, input), containerType, containerId, input);
  }

  /** The library's org. */
  get org(): string {
    return this.libKey.org;
  }
  /** The library. */
  get contextKey(): LibraryLocatorV2 {
    return this.libKey;
  }

  /** `lct:org:slug:type:id`. Never throws. */
  override toString(): string {
    return `${this.namespace}:${this.libKey.org}:${this.libKey.slug}:${this.containerType}:${this.containerId}`;
  }

  protected identity(): readonly unknown[] {
    return [this.libKey, this.containerType, this.containerId];
  }

  protected partSources(): Readonly<Record<string, PartSource>> {
    return {
      org: () => this.org,
      container_type: () => this.containerType,
      container_id: () => this.containerId,
      lib_key: () => this.libKey,
      context_key: () => this.libKey,
    };
  }
}

registerKeyClass({
  namespace: LibraryContainerLocator.NAMESPACE,
  className: "LibraryContainerLocator",
  families: ["ContainerKey"],
  parse: (body, input) => LibraryContainerLocator.fromBody(body, input),
});

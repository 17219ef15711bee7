import { SLUG_CHARS } from "./char-class.js";
import { splitColonFields, stringFieldProblem } from "./colon-fields.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { registerKeyClass } from "./key-registry.js";
import type { CollectionKey } from "./key-types.js";
import { LibraryLocatorV2 } from "./library-locator-v2.js";
import { OpaqueKey, type PartSource } from "./opaque-key.js";

/** A collection in a v2 library: `lib-collection:org:slug:collection_id` (the id is `[\w\-.]`). */
export class LibraryCollectionLocator extends OpaqueKey implements CollectionKey {
  static readonly NAMESPACE = "lib-collection";
  readonly className = "LibraryCollectionLocator";
  readonly namespace = LibraryCollectionLocator.NAMESPACE;
  readonly deprecated = false;

  private constructor(
    readonly libKey: LibraryLocatorV2,
    readonly collectionId: string,
  ) {
    super();
  }

  /** A collection key. Throws InvalidKeyError if the collection id is invalid. */
  static create(libKey: LibraryLocatorV2, collectionId: string, input?: string): LibraryCollectionLocator {
    const problem = stringFieldProblem("collection id", collectionId, SLUG_CHARS);
    if (problem !== undefined) throw new InvalidKeyError(input ?? collectionId, problem);
    return new LibraryCollectionLocator(libKey, collectionId);
  }

  /** Parses the body of a `lib-collection:` key. Throws InvalidKeyError. */
  static fromBody(body: string, input: string): LibraryCollectionLocator {
    const [org, slug, collectionId] = splitColonFields(body, input, 3, "lib-collection:org:slug:id") as [string, string, string];
    return LibraryCollectionLocator.create(LibraryLocatorV2.create(org, slug, input), collectionId, input);
  }

  /** The library's org. */
  get org(): string {
    return this.libKey.org;
  }
  /** The library. */
  get contextKey(): LibraryLocatorV2 {
    return this.libKey;
  }

  /** `lib-collection:org:slug:id`. Never throws. */
  override toString(): string {
    return `${this.namespace}:${this.libKey.org}:${this.libKey.slug}:${this.collectionId}`;
  }

  protected identity(): readonly unknown[] {
    return [this.libKey, this.collectionId];
  }

  protected partSources(): Readonly<Record<string, PartSource>> {
    return {
      org: () => this.org,
      collection_id: () => this.collectionId,
      lib_key: () => this.libKey,
      context_key: () => this.libKey,
    };
  }
}

registerKeyClass({
  namespace: LibraryCollectionLocator.NAMESPACE,
  className: "LibraryCollectionLocator",
  families: ["CollectionKey"],
  parse: (body, input) => LibraryCollectionLocator.fromBody(body, input),
});

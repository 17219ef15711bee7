// The public shapes of each key family. Key classes implement these; parse functions
// return them, so callers need not know which concrete class a string produced.

/** What every key offers. */
export interface Key {
  /** The canonical string form. */
  toString(): string;
  /** The Python class name, e.g. `BlockUsageLocator`. */
  readonly className: string;
  /** The canonical namespace prefix, e.g. `block-v1` (deprecated keys print without it). */
  readonly namespace: string;
  /** True for keys parsed from (or mapped into) a deprecated form. */
  readonly deprecated: boolean;
  /** True if `other` is an equal key of the same class; false for anything else. */
  equals(other: unknown): boolean;
}

/** A course or other learning context (v1 library, v2 library, ccx). */
export interface LearningContextKey extends Key {
  /** The organization; null for keys that carry only a version. */
  readonly org: string | null;
  /** The course part (the library for v1 libraries); null for keys that carry none (v2 libraries, version-only keys). */
  readonly course: string | null;
  /** The run; `"library"` for v1 libraries; null where the key has none (v2 libraries, version-only keys, the course of an `i4x://` key). */
  readonly run: string | null;
  readonly deprecated: boolean;
  /** True for courses (Python `is_course`): false for libraries. */
  readonly isCourse: boolean;
}

/** A course-like context (course, ccx, v1 library): what a block or asset key lives in. */
export interface CourseKey extends LearningContextKey {
  /** The branch, or null. */
  readonly branch: string | null;
  /** The version as 24 lowercase hex digits, or null. */
  readonly versionGuid: string | null;
  /** The string form without its namespace prefix, as embedded in block keys (`org+course+run+branch@…`). */
  locatorBody(): string;
  /** The same context on another branch, without a version. Throws InvalidKeyError where Python does (version-only keys). */
  forBranch(branch: string | null): CourseKey;
  /** The same context without a version. Throws InvalidKeyError if nothing but the version identified it. */
  versionAgnostic(): CourseKey;
  /** An id for html (the canonical string). */
  htmlId(): string;
}

/** A block inside a learning context. */
export interface UsageKey extends Key {
  /**
   * The block type. Where the key has no `type@` part (Python `block_type` is None)
   * this is `"None"`, which is also what the canonical string says.
   */
  readonly blockType: string;
  /** The block type exactly as Python reports it: null where the key has no `type@` part. */
  readonly declaredBlockType: string | null;
  /** The block id (Python `block_id`). */
  readonly blockId: string;
  /** The learning context; for aside usage keys, that of the wrapped usage key. */
  readonly contextKey: LearningContextKey;
  /**
   * The same block in another course. Throws InvalidKeyError or KeyOperationError where
   * Python raises (e.g. `lb:` keys, `location:` keys, block ids the target cannot hold).
   */
  mapIntoCourse(courseKey: CourseKey): UsageKey;
}

/** A static asset of a course. */
export interface AssetKey extends Key {
  /** The asset type (Python `asset_type`); `"None"` where the key has no `type@` part. */
  readonly assetType: string;
  /** The asset path (Python `path`). */
  readonly path: string;
  /** The course the asset belongs to. */
  readonly courseKey: CourseKey;
  /** The same asset in another course. */
  mapIntoCourse(courseKey: CourseKey): AssetKey;
}

/** An XBlock definition. */
export interface DefinitionKey extends Key {
  readonly blockType: string;
}

/** The usage key of an aside attached to a block. */
export interface AsideUsageKey extends UsageKey {
  /** The usage key of the block the aside decorates. */
  readonly usageKey: UsageKey;
  /** The aside type (may be empty). */
  readonly asideType: string;
}

/** The definition key of an aside attached to a definition. */
export interface AsideDefinitionKey extends DefinitionKey {
  /** The definition the aside decorates. */
  readonly definitionKey: DefinitionKey;
  /** The aside type (may be empty). */
  readonly asideType: string;
}

/** A collection in a v2 library. */
export interface CollectionKey extends Key {
  readonly org: string;
  readonly contextKey: LearningContextKey;
  readonly collectionId: string;
}

/** A container (unit, section, subsection) in a v2 library. */
export interface ContainerKey extends Key {
  readonly org: string;
  readonly contextKey: LearningContextKey;
  readonly containerType: string;
  readonly containerId: string;
}

/** An XBlock type together with the block family it is loaded from. */
export interface BlockTypeKey extends Key {
  /** The entry-point family, e.g. `xblock.v1`. */
  readonly blockFamily: string;
  readonly blockType: string;
}

/** The key shape each family's parser returns. */
export interface KeyFamilyTypes {
  CourseKey: CourseKey;
  UsageKey: UsageKey;
  LearningContextKey: LearningContextKey;
  DefinitionKey: DefinitionKey;
  AssetKey: AssetKey;
  AsideUsageKey: AsideUsageKey;
  AsideDefinitionKey: AsideDefinitionKey;
  CollectionKey: CollectionKey;
  ContainerKey: ContainerKey;
  BlockTypeKey: BlockTypeKey;
}

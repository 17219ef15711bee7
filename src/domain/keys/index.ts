// Open edX opaque keys (course, usage, asset, definition, library, aside, ccx,
// collection, container and block type keys): parsing, canonical forms and
// descriptions that agree with the Python edx-opaque-keys 4.0.0 and edx-ccx-keys 2.0.2.
// See docs/keys.md.
export { InvalidKeyError } from "./invalid-key-error.js";
export { KeyOperationError } from "./key-operation-error.js";
export type { PythonErrorClass } from "./key-operation-error.js";
export { KEY_FAMILIES, isKeyFamily } from "./key-family.js";
export type { KeyFamily } from "./key-family.js";
export type {
  AsideDefinitionKey,
  AsideUsageKey,
  AssetKey,
  BlockTypeKey,
  CollectionKey,
  ContainerKey,
  CourseKey,
  DefinitionKey,
  Key,
  KeyFamilyTypes,
  LearningContextKey,
  UsageKey,
} from "./key-types.js";
export {
  parseAsideDefinitionKey,
  parseAsideUsageKey,
  parseAssetKey,
  parseBlockTypeKey,
  parseCollectionKey,
  parseContainerKey,
  parseCourseKey,
  parseDefinitionKey,
  parseKey,
  parseLearningContextKey,
  parseUsageKey,
} from "./parse-key.js";
export { MAP_TARGET, MAP_TARGET_DEPRECATED, describeKey } from "./describe-key.js";
export type { KeyDescription } from "./describe-key.js";
export type { KeyPartValue, KeyParts } from "./opaque-key.js";
export { OpaqueKey } from "./opaque-key.js";
export {
  MAX_KEY_LENGTH,
  registerDeprecatedFallback,
  registerKeyClass,
  registeredFallback,
  registeredNamespaces,
} from "./key-registry.js";
export type { DeprecatedFallbackRegistration, KeyClassRegistration } from "./key-registry.js";
export { CourseLocator } from "./course-locator.js";
export type { CourseFields } from "./course-locator.js";
export { CCXLocator } from "./ccx-locator.js";
export { LibraryLocator } from "./library-locator.js";
export type { LibraryFields } from "./library-locator.js";
export { LibraryLocatorV2 } from "./library-locator-v2.js";
export { BlockUsageLocator } from "./block-usage-locator.js";
export { LibraryUsageLocator } from "./library-usage-locator.js";
export { CCXBlockUsageLocator } from "./ccx-block-usage-locator.js";
export { DeprecatedLocation } from "./deprecated-location.js";
export { LibraryUsageLocatorV2 } from "./library-usage-locator-v2.js";
export { AssetLocator } from "./asset-locator.js";
export { DefinitionLocator } from "./definition-locator.js";
export { BundleDefinitionLocator } from "./bundle-definition-locator.js";
export { AsideUsageKeyV1, AsideUsageKeyV2 } from "./aside-usage-key.js";
export { AsideDefinitionKeyV1, AsideDefinitionKeyV2 } from "./aside-definition-key.js";
export { LibraryCollectionLocator } from "./library-collection-locator.js";
export { LibraryContainerLocator } from "./library-container-locator.js";
export { BlockTypeKeyV1, XBLOCK_V1, XMODULE_V1 } from "./block-type-key.js";

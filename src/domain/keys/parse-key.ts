// One parser entry point per family. Each throws InvalidKeyError, and nothing else,
// for every input that does not parse.
import { LRUCache } from "lru-cache";
import "./installed-key-classes.js";
import type { KeyFamily } from "./key-family.js";
import { parseRegisteredKey } from "./key-registry.js";
import type {
  AsideDefinitionKey,
  AsideUsageKey,
  AssetKey,
  BlockTypeKey,
  CollectionKey,
  ContainerKey,
  CourseKey,
  DefinitionKey,
  KeyFamilyTypes,
  LearningContextKey,
  UsageKey,
} from "./key-types.js";

/** Parses `input` as a key of `family` (Python `<family>.from_string`). Throws InvalidKeyError if it does not parse. */
export function parseKey<F extends KeyFamily>(family: F, input: string): KeyFamilyTypes[F] {
  return parseRegisteredKey(family, input);
}

/** A course-like key: `course-v1:`, `library-v1:`, `ccx-v1:`, `slashes:` or `org/course/run`. Throws InvalidKeyError. */
export function parseCourseKey(input: string): CourseKey {
  return parseRegisteredKey("CourseKey", input);
}

/** A learning context: any course key or a `lib:` v2 library. Throws InvalidKeyError. */
export function parseLearningContextKey(input: string): LearningContextKey {
  return parseRegisteredKey("LearningContextKey", input);
}

// The service parses the same usage keys call after call (every learner of a
// course asks for the same blocks; the policy and the state rules each read
// a call's keys), at microseconds a key. Keys are immutable values, so the
// recently parsed ones are shared; inputs that do not parse are not kept.
const recentUsageKeys = new LRUCache<string, UsageKey>({ max: 10_000 });

/**
 * A usage key: `block-v1:`, `lib-block-v1:`, `ccx-block-v1:`, `lb:`, `location:`,
 * `aside-usage-v1:`/`-v2:`, or deprecated `i4x://`. Throws InvalidKeyError.
 */
export function parseUsageKey(input: string): UsageKey {
  const known = recentUsageKeys.get(input);
  if (known !== undefined) return known;
  const key: UsageKey = parseRegisteredKey("UsageKey", input);
  recentUsageKeys.set(input, key);
  return key;
}

/** A definition key: `def-v1:`, `bundle-olx:`, `aside-def-v1:`/`-v2:`. Throws InvalidKeyError. */
export function parseDefinitionKey(input: string): DefinitionKey {
  return parseRegisteredKey("DefinitionKey", input);
}

/** An asset key: `asset-v1:` or deprecated `/c4x/`. Throws InvalidKeyError. */
export function parseAssetKey(input: string): AssetKey {
  return parseRegisteredKey("AssetKey", input);
}

/** An aside usage key: `aside-usage-v1:` or `aside-usage-v2:`. Throws InvalidKeyError. */
export function parseAsideUsageKey(input: string): AsideUsageKey {
  return parseRegisteredKey("AsideUsageKey", input);
}

/** An aside definition key: `aside-def-v1:` or `aside-def-v2:`. Throws InvalidKeyError. */
export function parseAsideDefinitionKey(input: string): AsideDefinitionKey {
  return parseRegisteredKey("AsideDefinitionKey", input);
}

/** A v2 library collection key: `lib-collection:`. Throws InvalidKeyError. */
export function parseCollectionKey(input: string): CollectionKey {
  return parseRegisteredKey("CollectionKey", input);
}

/** A v2 library container key: `lct:`. Throws InvalidKeyError. */
export function parseContainerKey(input: string): ContainerKey {
  return parseRegisteredKey("ContainerKey", input);
}

/** A block type key: `block-type-v1:family:type`, or any other string as a bare `xblock.v1` type. Throws InvalidKeyError only for non-strings and over-long input. */
export function parseBlockTypeKey(input: string): BlockTypeKey {
  return parseRegisteredKey("BlockTypeKey", input);
}

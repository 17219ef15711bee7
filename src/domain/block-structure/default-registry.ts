import type { BlockStructureTransformer } from "./transformer.js";
import { createTransformerRegistry, type TransformerRegistry } from "./transformer-registry.js";
import {
  blockCountsTransformer,
  blockDepthTransformer,
  blockNavigationTransformer,
  hiddenContentTransformer,
  learnerProgressTransformer,
  libraryContentTransformer,
  startDateTransformer,
  userPartitionsTransformer,
  visibilityTransformer,
} from "./transformers/index.js";

/** Every transformer the service registers, in the order their collect phases run. */
export const defaultTransformers: readonly BlockStructureTransformer[] = [
  visibilityTransformer,
  startDateTransformer,
  hiddenContentTransformer,
  libraryContentTransformer,
  userPartitionsTransformer,
  blockDepthTransformer,
  blockCountsTransformer,
  blockNavigationTransformer,
  learnerProgressTransformer,
];

/** The registry of {@link defaultTransformers}. */
export function createDefaultTransformerRegistry(): TransformerRegistry {
  return createTransformerRegistry(defaultTransformers);
}

/** Names of the default transformers that read learners' state (for the authorization policy). */
export const stateReadingTransformerNames: readonly string[] = defaultTransformers.filter((transformer) => transformer.userStateFields.length > 0).map((transformer) => transformer.name);

export { blockCountsTransformer } from "./block-counts.js";
export { blockDepthTransformer } from "./block-depth.js";
export { blockNavigationTransformer } from "./block-navigation.js";
export { hiddenContentTransformer } from "./hidden-content.js";
export { learnerProgressTransformer } from "./learner-progress.js";
export { libraryContentTransformer } from "./library-content.js";
export { defaultStartMs, startDateTransformer } from "./start-date.js";
export { userPartitionsTransformer } from "./user-partitions.js";
export { visibilityTransformer } from "./visibility.js";

export { createChangeFeed } from "./change-feed.js";
export type { ChangeFeed, ChangeFeedOptions, FeedBatch } from "./change-feed.js";
export type { ChangeFeedStore, ChangesRead } from "./change-feed-store.js";
export type { FeedPosition } from "./feed-position.js";
export type { ChangeKind, StateChange } from "./state-change.js";
export { parseTxSnapshot } from "./tx-snapshot.js";
export type { TxSnapshot } from "./tx-snapshot.js";
export { watchFilterOf } from "./watch-filter.js";
export type { WatchFilter, WatchRequest } from "./watch-filter.js";

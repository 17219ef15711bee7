export { openStore } from "./open-store.js";
export type { Store } from "./open-store.js";
export type { OrmConfigOptions } from "./orm-config.js";

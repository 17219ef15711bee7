export { openStore } from "./open-store.js";
export type { PoolUsage, Store, StoreOptions } from "./open-store.js";
export type { BreakerState } from "./database-guard.js";
export type { OrmConfigOptions } from "./orm-config.js";
export type { DatabaseCondition } from "./database-monitor.js";
export type { StandbyState } from "./standby.js";
export type { AdmissionFigures } from "./work-admission.js";

import { MikroORM } from "@mikro-orm/postgresql";
import type { StateStore } from "../domain/state/index.js";
import { createOrmConfig, type OrmConfigOptions } from "./orm-config.js";
import { createStateRepository } from "./state-repository.js";

/** An open connection pool and the ports built on it. */
export interface Store {
  readonly stateStore: StateStore;
  /** Applies every pending migration; returns the names applied. */
  migrate(): Promise<string[]>;
  /** Closes the pool; in-flight queries finish first. */
  close(): Promise<void>;
}

/** Opens the pool (connections are made lazily, on first use). */
export async function openStore(options: OrmConfigOptions): Promise<Store> {
  const orm = await MikroORM.init(createOrmConfig(options));
  return {
    stateStore: createStateRepository(orm),
    async migrate() {
      const applied = await orm.getMigrator().up();
      return applied.map((migration) => migration.name);
    },
    close: () => orm.close(true),
  };
}

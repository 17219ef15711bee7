import { defineConfig } from "@mikro-orm/postgresql";
import { Migrator } from "@mikro-orm/migrations";
import { CatalogCourseRow, CourseRunRow, OrganizationRow } from "./catalog/index.js";
import { Migration0001UserState } from "./migrations/migration-0001-user-state.js";
import { Migration0002StateSizeGuard } from "./migrations/migration-0002-state-size-guard.js";
import { Migration0003OtherScopes } from "./migrations/migration-0003-other-scopes.js";
import { Migration0004Catalog } from "./migrations/migration-0004-catalog.js";
import { Migration0005BlockStructure } from "./migrations/migration-0005-block-structure.js";
import { BlockStructureRow } from "./block-structure/block-structure-row.js";
import { ScopedStateHistoryRow } from "./scoped-state-history-row.js";
import { ScopedStateRow } from "./scoped-state-row.js";
import { UserStateHistoryRow } from "./user-state-history-row.js";
import { UserStateRow } from "./user-state-row.js";

/** How the service's connections are named in pg_stat_activity. */
export const applicationName = "learnerstate";

/** Options for {@link createOrmConfig}. */
export interface OrmConfigOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly databaseUrl: string;
  /** Largest number of pooled connections. */
  readonly poolSize: number;
  /** Longest wait for a new connection, or for a free one from the pool, before the call fails as unavailable. */
  readonly connectTimeoutMs: number;
}

/**
 * MikroORM configuration for the store. Migrations are listed explicitly, not
 * discovered from the file system, so start-up works the same from source and
 * from a bundle.
 */
export function createOrmConfig(options: OrmConfigOptions) {
  return defineConfig({
    clientUrl: options.databaseUrl,
    entities: [UserStateRow, UserStateHistoryRow, ScopedStateRow, ScopedStateHistoryRow, OrganizationRow, CatalogCourseRow, CourseRunRow, BlockStructureRow],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    migrations: {
      migrationsList: [
        { name: "Migration0001UserState", class: Migration0001UserState },
        { name: "Migration0002StateSizeGuard", class: Migration0002StateSizeGuard },
        { name: "Migration0003OtherScopes", class: Migration0003OtherScopes },
        { name: "Migration0004Catalog", class: Migration0004Catalog },
        { name: "Migration0005BlockStructure", class: Migration0005BlockStructure },
      ],
      transactional: true,
      snapshot: false,
    },
    pool: { min: 0, max: options.poolSize },
    // Bounded waits, so an unreachable database fails calls fast instead of
    // queueing them: pg's connect timeout, and knex's wait for a pooled connection.
    driverOptions: {
      connection: { connectionTimeoutMillis: options.connectTimeoutMs, application_name: applicationName },
      acquireConnectionTimeout: options.connectTimeoutMs,
    },
    debug: false,
    allowGlobalContext: false,
    // The server starts without its database (and waits for it): nothing
    // connects until the first query.
    connect: false,
  });
}

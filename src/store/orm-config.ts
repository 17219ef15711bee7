import { defineConfig } from "@mikro-orm/postgresql";
import type pg from "pg";
import { Migrator } from "@mikro-orm/migrations";
import { CatalogCourseRow, CourseRunRow, OrganizationRow } from "./catalog/index.js";
import type { HostSelector } from "./host-selector.js";
import { Migration0001UserState } from "./migrations/migration-0001-user-state.js";
import { Migration0002StateSizeGuard } from "./migrations/migration-0002-state-size-guard.js";
import { Migration0003OtherScopes } from "./migrations/migration-0003-other-scopes.js";
import { Migration0004Catalog } from "./migrations/migration-0004-catalog.js";
import { Migration0005BlockStructure } from "./migrations/migration-0005-block-structure.js";
import { Migration0006CitusReadyKeys } from "./migrations/migration-0006-citus-ready-keys.js";
import { Migration0007ChangeFeed } from "./migrations/migration-0007-change-feed.js";
import { Migration0008ChangeFeedWalk } from "./migrations/migration-0008-change-feed-walk.js";
import { BlockStructureRow } from "./block-structure/block-structure-row.js";
import { ScopedStateHistoryRow } from "./scoped-state-history-row.js";
import { ScopedStateRow } from "./scoped-state-row.js";
import { StateChangeRow } from "./state-change-row.js";
import { UserStateHistoryRow } from "./user-state-history-row.js";
import { UserStateRow } from "./user-state-row.js";

/** How the service's connections are named in pg_stat_activity. */
export const applicationName = "learnerstate";

/** Options for {@link createOrmConfig}. */
export interface OrmConfigOptions {
  /**
   * `postgres://user:password@host:port/database`, or libpq's multi-host
   * form `postgres://user:password@h1:port,h2:port/database?target_session_attrs=read-write`.
   */
  readonly databaseUrl: string;
  /** Largest number of pooled connections. */
  readonly poolSize: number;
  /** Longest wait for a new connection, or for a free one from the pool, before the call fails as unavailable. */
  readonly connectTimeoutMs: number;
}

/**
 * MikroORM configuration for the store. Migrations are listed explicitly, not
 * discovered from the file system, so start-up works the same from source and
 * from a bundle. Connections go where `hosts` says (knex's connection
 * provider), and a pooled connection made before the last choice is replaced.
 */
export function createOrmConfig(options: Omit<OrmConfigOptions, "databaseUrl">, hosts: HostSelector) {
  return defineConfig({
    // MikroORM reads the database name from it; connections come from `hosts`.
    clientUrl: hosts.firstUrl,
    entities: [UserStateRow, UserStateHistoryRow, ScopedStateRow, ScopedStateHistoryRow, OrganizationRow, CatalogCourseRow, CourseRunRow, BlockStructureRow, StateChangeRow],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    migrations: {
      migrationsList: [
        { name: "Migration0001UserState", class: Migration0001UserState },
        { name: "Migration0002StateSizeGuard", class: Migration0002StateSizeGuard },
        { name: "Migration0003OtherScopes", class: Migration0003OtherScopes },
        { name: "Migration0004Catalog", class: Migration0004Catalog },
        { name: "Migration0005BlockStructure", class: Migration0005BlockStructure },
        { name: "Migration0006CitusReadyKeys", class: Migration0006CitusReadyKeys },
        { name: "Migration0007ChangeFeed", class: Migration0007ChangeFeed },
        { name: "Migration0008ChangeFeedWalk", class: Migration0008ChangeFeedWalk },
      ],
      transactional: true,
      snapshot: false,
    },
    pool: { min: 0, max: options.poolSize },
    // Bounded waits, so an unreachable database fails calls fast instead of
    // queueing them: pg's connect timeout (in the settings `hosts` gives), and
    // knex's wait for a pooled connection. MikroORM merges these into knex's
    // configuration as they are (its own pool type has no `validate`).
    driverOptions: {
      connection: () => hosts.connectionSettings(),
      pool: {
        // No JIT compilation: every statement the service sends is short or
        // paged, and PostgreSQL's JIT, which starts from the planner's cost
        // estimate, spent 15–380 ms compiling change-feed reads that run in
        // under a millisecond (their estimates depend on snapshots bound as
        // parameters). A setting rather than a startup option, which PgBouncer refuses.
        afterCreate: (connection: pg.Client, done: (error: Error | null, connection: object) => void) => {
          hosts.adopt(connection);
          connection.query("set jit = off").then(
            () => done(null, connection),
            (error: Error) => done(error, connection),
          );
        },
        validate: (connection: object) => hosts.holds(connection),
      },
      acquireConnectionTimeout: options.connectTimeoutMs,
    },
    debug: false,
    allowGlobalContext: false,
    // The server starts without its database (and waits for it): nothing
    // connects until the first query.
    connect: false,
  });
}

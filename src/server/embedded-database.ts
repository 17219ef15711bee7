import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { freeLoopbackPort } from "./free-loopback-port.js";

/** A PGlite database served over the PostgreSQL wire protocol on loopback. */
export interface EmbeddedDatabase {
  /** URL for the ordinary PostgreSQL driver. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Opens (or creates) the PGlite database in `dataDir` and serves it on a free
 * loopback port, so the server uses the same driver and SQL as with a real
 * PostgreSQL. PGlite runs one transaction at a time: a default for trying the
 * service, not for load.
 */
export async function startEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const port = await freeLoopbackPort();
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 16 });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

import type { TestProject } from "vitest/node";
import pg from "pg";
import { buildServer } from "./support/server-process.js";
import { findTestDatabaseServer, withDatabase } from "./support/test-database.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** A database of its own for this run of the suite, empty at the start. */
    databaseUrl: string;
  }
}

/**
 * Builds the server as `npm start` does, finds a real PostgreSQL (see
 * findTestDatabaseServer) and creates an empty database for this run, dropped
 * again at the end, so runs never see each other's rows.
 */
export default async function setup(project: TestProject) {
  buildServer();
  const server = await findTestDatabaseServer();
  const database = `learnerstate_test_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query(`create database "${database}"`);
  await admin.end();
  console.log(`e2e suite: database ${database} on ${server.origin}`);
  project.provide("databaseUrl", withDatabase(server.adminUrl, database));

  return async () => {
    const cleanup = new pg.Client({ connectionString: server.adminUrl });
    await cleanup.connect();
    await cleanup.query(`drop database if exists "${database}" with (force)`);
    await cleanup.end();
    await server.stop();
  };
}

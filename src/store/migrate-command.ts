// `npm run migrate`: applies pending migrations to DATABASE_URL and exits.
import { openStore } from "./open-store.js";

const databaseUrl = process.env["DATABASE_URL"];
if (!databaseUrl) {
  console.error("DATABASE_URL is not set (the server applies migrations to its embedded database itself at start-up)");
  process.exit(2);
}
const store = await openStore({ databaseUrl, poolSize: 1, connectTimeoutMs: 10_000, failureThreshold: 5, halfOpenAfterMs: 1000, statementTimeoutMs: 600_000, admissionMaxWaitMs: 600_000, changeDetectMs: 1000 });
try {
  const applied = await store.migrate({
    waitMs: 600_000,
    onWaiting: (waitedMs) => console.log(`waiting for the migration lock, held by another process (${Math.round(waitedMs / 1000)} s so far)`),
  });
  console.log(applied.length === 0 ? "database is up to date" : `applied: ${applied.join(", ")}`);
} finally {
  await store.close();
}

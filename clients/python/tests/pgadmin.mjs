// Test helper for the Python client's tests: probes a PostgreSQL server and
// creates or drops a database on it, with the `pg` package the repository
// already installs (Debian's python3 has no PostgreSQL driver by default).
//   node pgadmin.mjs probe <url>          exit 0 when it answers, 3 when not
//   node pgadmin.mjs create <url> <name>
//   node pgadmin.mjs drop <url> <name>
import pg from "pg";

const [command, url, name] = process.argv.slice(2);
if (!["probe", "create", "drop"].includes(command) || !url || (command !== "probe" && !/^[a-z0-9_]+$/u.test(name ?? ""))) {
  console.error("usage: node pgadmin.mjs probe|create|drop <url> [database name: a-z, 0-9, _]");
  process.exit(2);
}

const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
try {
  await client.connect();
  if (command === "probe") await client.query("select 1");
  else if (command === "create") await client.query(`create database "${name}"`);
  else await client.query(`drop database if exists "${name}" with (force)`);
} catch (error) {
  if (command === "probe") process.exit(3);
  console.error(`pgadmin ${command}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
} finally {
  await client.end().catch(() => undefined);
}

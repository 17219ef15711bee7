import pg from "pg";
import { describe, expect, it } from "vitest";
import { useOwnDatabase } from "./support/fixture.js";
import { healthOf } from "./support/health.js";
import { startServerProcess } from "./support/server-process.js";

const database = useOwnDatabase();

describe("replicas started together against an empty database", () => {
  it("all become SERVING, each migration is applied exactly once, and none logs an error", async () => {
    const servers = await Promise.all([0, 1, 2].map(() => startServerProcess({ DATABASE_URL: database.url })));
    try {
      const health = await Promise.all(servers.map((server) => healthOf(server.baseUrl)));
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const applied = await client.query<{ name: string; times: number }>("select name, count(*)::int as times from mikro_orm_migrations group by name order by name");
      await client.end();
      const records = servers.flatMap((server) => server.output.flatMap((line) => (line.startsWith("{") ? [JSON.parse(line) as { level: number; msg: string }] : [])));
      const errors = records.filter((record) => record.level >= 50);
      const waited = records.filter((record) => record.msg.startsWith("waiting for the migration lock")).length;
      console.log(
        `3 servers at once: health ${health.join("/")}; migrations ${applied.rows.map((row) => `${row.name}×${row.times}`).join(", ")}; ` +
          `${waited} lock-wait log lines; ${errors.length} errors`,
      );
      expect(health).toEqual(["SERVING", "SERVING", "SERVING"]);
      expect(applied.rows.length).toBeGreaterThan(0);
      expect(applied.rows.every((row) => row.times === 1)).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      const codes = await Promise.all(servers.map((server) => server.stop()));
      expect(codes).toEqual([0, 0, 0]);
    }
  });
});

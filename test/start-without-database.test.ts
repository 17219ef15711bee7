import { Code, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { KeyFamily, KeyService } from "../gen/learnerstate/v1/key_service_pb.js";
import { freeLoopbackPort } from "../src/server/free-loopback-port.js";
import { transportTo, userStateClient } from "./support/clients.js";
import { blockKey, errorInfoOf, expectCode, unique, useOwnDatabase } from "./support/fixture.js";
import { startPgProxy, type PgProxy } from "./support/pg-proxy.js";
import { startServerProcess } from "./support/server-process.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const database = useOwnDatabase();

describe("a server started before its database", () => {
  it("listens, says NOT_SERVING and UNAVAILABLE, serves keys, and becomes SERVING by itself once the database answers", async () => {
    // Nothing listens at the database's address yet: connections are refused.
    // Later a proxy to a real, empty PostgreSQL database starts listening
    // there: from the server's side, that is its database coming up.
    const port = await freeLoopbackPort();
    const target = new URL(database.url);
    const databaseUrl = new URL(database.url);
    databaseUrl.hostname = "127.0.0.1";
    databaseUrl.port = String(port);
    const server = await startServerProcess({ DATABASE_URL: databaseUrl.toString() }, "bundle", "listening");
    let proxy: PgProxy | null = null;
    try {
      const health = createClient(Health, transportTo(server.baseUrl));
      const check = async () => {
        const started = Date.now();
        const response = await health.check({ service: "" }, { timeoutMs: 2000 });
        return { status: HealthCheckResponse_ServingStatus[response.status], ms: Date.now() - started };
      };
      const client = userStateClient(server.baseUrl);
      const write = () => client.setMany({ username: unique("learner"), updates: [{ blockKey: blockKey("course-v1:Org+Early+2026", "problem", "p"), fields: { a: "1" } }] });

      await sleep(1000);
      const before = await check();
      expect(before.status).toBe("NOT_SERVING");
      expect(before.ms).toBeLessThanOrEqual(100);
      const refused = await expectCode(write(), Code.Unavailable);
      expect(errorInfoOf(refused).reason).toBe("STORE_NOT_READY");
      const keys = createClient(KeyService, transportTo(server.baseUrl));
      expect((await keys.describeKey({ key: "course-v1:Org+Early+2026", family: KeyFamily.COURSE })).description?.org).toBe("Org");
      expect(server.output.some((line) => line.includes("database not ready"))).toBe(true);

      const appearedAt = Date.now();
      proxy = await startPgProxy({ host: target.hostname, port: Number(target.port || 5432) }, port);
      let servingAfterMs = Number.NaN;
      while (Date.now() - appearedAt < 10_000) {
        if ((await check()).status === "SERVING") {
          servingAfterMs = Date.now() - appearedAt;
          break;
        }
        await sleep(50);
      }
      await write();
      console.log(`start without a database: NOT_SERVING in ${before.ms} ms before it came; SERVING ${servingAfterMs} ms after it came`);
      expect(servingAfterMs).toBeLessThan(10_000);
      expect(server.output.filter((line) => line.includes('"msg":"listening')).length).toBe(1);
    } finally {
      expect(await server.stop()).toBe(0);
      await proxy?.close();
    }
  });
});

import http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { userStateClient } from "./support/clients.js";
import { holdWrite } from "./support/held-write.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const maxAgeMs = 1000;

let db: pg.Pool;
beforeAll(() => {
  db = new pg.Pool({ connectionString: inject("databaseUrl"), max: 2 });
});
afterAll(async () => {
  await db.end();
});

/** A write held in flight on a client of `server`, and when it settled and how. */
async function heldWrite(server: ServerProcess) {
  const client = userStateClient(server.baseUrl);
  const held = await holdWrite(client, db);
  const startedAt = Date.now();
  const call = held.call.then(
    () => ({ code: "OK", at: Date.now() - startedAt }),
    (error: unknown) => ({ code: Code[ConnectError.from(error).code], at: Date.now() - startedAt }),
  );
  return { ...held, client, call };
}

/** Milliseconds from connecting to `baseUrl` until the server sends GOAWAY (a plain HTTP/2 connection, no calls). */
function goawayAfter(baseUrl: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    const connectedAt = Date.now();
    session.once("goaway", () => {
      resolve(Date.now() - connectedAt);
      session.close();
    });
    session.once("error", reject);
  });
}

describe(`MAX_CONNECTION_AGE_MS=${maxAgeMs}`, () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({ DATABASE_URL: inject("databaseUrl"), MAX_CONNECTION_AGE_MS: String(maxAgeMs) });
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it("sends GOAWAY once a connection is that old (±10 % jitter), lets its calls finish, and the client goes on on a new connection", async () => {
    const ages = await Promise.all(Array.from({ length: 8 }, () => goawayAfter(server.baseUrl)));
    const held = await heldWrite(server);
    await sleep(maxAgeMs * 1.5);
    await held.release();
    const answer = await held.call;
    const next = await held.client.setMany({ username: held.username, updates: [{ blockKey: held.key, fields: { n: "2" } }] }).then(
      () => "OK",
      (error: unknown) => Code[ConnectError.from(error).code],
    );
    console.log(`MAX_CONNECTION_AGE_MS=${maxAgeMs}: GOAWAY after ${ages.join(", ")} ms; a call held past the age: ${answer.code} after ${answer.at} ms`);
    // The lower bound is exact (the timer never fires early); the upper one leaves room for a busy machine.
    for (const age of ages) expect(age).toBeGreaterThanOrEqual(maxAgeMs * 0.9 - 5);
    for (const age of ages) expect(age).toBeLessThan(maxAgeMs * 1.1 + 500);
    // Jitter: connections opened together are not all sent away together.
    expect(new Set(ages.map((age) => Math.round(age / 10))).size).toBeGreaterThan(1);
    expect(answer.code).toBe("OK");
    expect(answer.at).toBeGreaterThanOrEqual(maxAgeMs * 1.5);
    expect(next).toBe("OK");
  });
});

describe(`MAX_CONNECTION_AGE_MS=${maxAgeMs} with MAX_CONNECTION_AGE_GRACE_MS=500`, () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({ DATABASE_URL: inject("databaseUrl"), MAX_CONNECTION_AGE_MS: String(maxAgeMs), MAX_CONNECTION_AGE_GRACE_MS: "500" });
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it("closes a drained connection whose calls outlive the grace", async () => {
    const held = await heldWrite(server);
    const answer = await held.call;
    await held.release();
    console.log(`grace 500 ms: a call held past age + grace ended ${answer.code} after ${answer.at} ms`);
    expect(answer.code).not.toBe("OK");
    expect(answer.at).toBeLessThan((maxAgeMs * 1.1 + 500) * 2);
  });
});

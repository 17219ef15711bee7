import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { userStateClient } from "./support/clients.js";
import { holdWrite } from "./support/held-write.js";
import { startServerProcess, type Launcher } from "./support/server-process.js";

let db: pg.Pool;
beforeAll(() => {
  db = new pg.Pool({ connectionString: inject("databaseUrl"), max: 2 });
});
afterAll(async () => {
  await db.end();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a server and a call that stays in flight until the returned `release` is called. */
async function serverWithCallInFlight(launcher: Launcher = "bundle") {
  const server = await startServerProcess({ DATABASE_URL: inject("databaseUrl"), SHUTDOWN_GRACE_MS: "10000" }, launcher);
  const { username, key, call: inFlight, release } = await holdWrite(userStateClient(server.baseUrl), db);
  inFlight.catch(() => undefined);
  await sleep(300);
  return { server, username, key, inFlight, release };
}

describe("SIGTERM", () => {
  // `npm start` must hand the signal to the server, not leave it running.
  it.each<Launcher>(["bundle", "npm start"])("lets in-flight calls finish, refuses new ones and exits 0 (%s)", async (launcher) => {
    const { server, username, key, inFlight, release } = await serverWithCallInFlight(launcher);
    server.kill("SIGTERM");
    await sleep(300);
    const refused = await userStateClient(server.baseUrl)
      .setMany({ username, updates: [{ blockKey: key, fields: { n: "2" } }] }, { timeoutMs: 2000 })
      .then(
        () => "accepted",
        (error: unknown) => Code[ConnectError.from(error).code],
      );
    expect(refused).toBe("Unavailable");
    await release();
    const answer = await inFlight;
    expect(answer.results).toHaveLength(1);
    expect(await server.exited).toBe(0);
    const stored = await db.query("select state->>'n' as n from user_state where username = $1", [username]);
    expect(stored.rows[0].n).toBe("1");
    expect(server.output.some((line) => line.includes("shutting down"))).toBe(true);
    const stillServing = await userStateClient(server.baseUrl)
      .getModDates({ username, blockKeys: [key] }, { timeoutMs: 2000 })
      [Symbol.asyncIterator]()
      .next()
      .then(
        () => "answered",
        (error: unknown) => Code[ConnectError.from(error).code],
      );
    expect(stillServing).toBe("Unavailable");
  });

  it("exits at once on a second signal", async () => {
    const { server, release } = await serverWithCallInFlight();
    try {
      server.kill("SIGTERM");
      await sleep(200);
      const started = Date.now();
      server.kill("SIGTERM");
      const code = await server.exited;
      expect(Date.now() - started).toBeLessThan(2000);
      expect(code).not.toBe(0);
    } finally {
      await release();
    }
  });
});

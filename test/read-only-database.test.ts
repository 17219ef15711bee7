import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { userStateClient } from "./support/clients.js";
import { blockKey, errorInfoOf, expectCode, unique, useOwnDatabase } from "./support/fixture.js";
import { healthOf } from "./support/health.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Turns the file's database read-only for new sessions (as a primary demoted
 * by a failover is, or a standby), or back. Sessions already open keep what
 * they had unless `terminate` ends them.
 */
async function setReadOnly(databaseUrl: string, readOnly: boolean, terminate: boolean): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: inject("databaseUrl") });
  await admin.connect();
  try {
    await admin.query(readOnly ? `alter database "${name}" set default_transaction_read_only = on` : `alter database "${name}" reset default_transaction_read_only`);
    if (terminate) await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [name]);
  } finally {
    await admin.end();
  }
}

async function rowsOf(databaseUrl: string, username: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query("select 1 from user_state where username = $1", [username])).rowCount ?? 0;
  } finally {
    await client.end();
  }
}

const write = (server: ServerProcess, username: string) =>
  userStateClient(server.baseUrl).setMany({ username, updates: [{ blockKey: blockKey("course-v1:Org+ReadOnly+2026", "problem", "p"), fields: { a: "1" } }] });

describe("a database server that has become read-only (SQLSTATE 25006)", () => {
  const database = useOwnDatabase();
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({ DATABASE_URL: database.url });
  });
  afterAll(async () => {
    await setReadOnly(database.url, false, false);
    expect(await server.stop()).toBe(0);
  });

  it("refuses writes as UNAVAILABLE (STORE_READ_ONLY): nothing was written, so a retry is safe", async () => {
    await write(server, unique("before"));
    await setReadOnly(database.url, true, true);
    const username = unique("learner");
    // The first attempts may meet a pooled connection the termination broke before the pool noticed: the
    // statement was sent, so the server cannot know it failed and says ABORTED (OUTCOME_UNKNOWN). The
    // read-only answer follows on a fresh connection. No attempt may succeed.
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 20 && outcomes.at(-1) !== "Unavailable/STORE_READ_ONLY"; attempt += 1) {
      const error = await write(server, username).then(
        () => undefined,
        (reason: unknown) => ConnectError.from(reason),
      );
      outcomes.push(error === undefined ? "OK" : `${Code[error.code]}/${errorInfoOf(error).reason}`);
      await sleep(100);
    }
    console.log(`read-only database, writes after the terminations: ${outcomes.join(", ")}`);
    const brokenConnection = (outcome: string) => outcome === "Aborted/OUTCOME_UNKNOWN" || outcome === "Unavailable/STORE_UNAVAILABLE";
    expect(outcomes.at(-1)).toBe("Unavailable/STORE_READ_ONLY");
    expect(outcomes.slice(0, -1).filter((outcome) => !brokenConnection(outcome))).toEqual([]);
    expect(await rowsOf(database.url, username)).toBe(0);
  });
});

describe("with target_session_attrs=read-write", () => {
  const database = useOwnDatabase();
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({ DATABASE_URL: `${database.url}?target_session_attrs=read-write` });
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it("reports NOT_SERVING while the only host is read-only, and serves again on fresh connections once it takes writes", async () => {
    await write(server, unique("before"));
    await setReadOnly(database.url, true, true);
    // Calls at once, before the heartbeat has looked: they open pooled sessions that are read-only.
    const early = await Promise.all(
      Array.from({ length: 5 }, () =>
        write(server, unique("early")).then(
          () => "OK",
          (error: unknown) => errorInfoOf(ConnectError.from(error)).reason,
        ),
      ),
    );
    let status = "";
    for (let attempt = 0; attempt < 100 && status !== "NOT_SERVING"; attempt += 1) {
      status = await healthOf(server.baseUrl);
      await sleep(50);
    }
    expect(status).toBe("NOT_SERVING");
    const refused = unique("refused");
    await expectCode(write(server, refused), Code.Unavailable);

    // Back to writable, without ending any session: the read-only ones are still in the pool.
    await setReadOnly(database.url, false, false);
    for (let attempt = 0; attempt < 100 && status !== "SERVING"; attempt += 1) {
      status = await healthOf(server.baseUrl);
      await sleep(50);
    }
    expect(status).toBe("SERVING");
    // Every pooled connection made while the database was read-only is replaced: ten writes in a row succeed.
    for (let attempt = 0; attempt < 10; attempt += 1) await write(server, unique("after"));
    console.log(`read-only database, calls before the heartbeat looked: ${early.join(", ")}`);
    // A call that met a pooled connection the termination broke may also answer OUTCOME_UNKNOWN (ABORTED).
    const expected = ["STORE_READ_ONLY", "STORE_UNAVAILABLE", "OUTCOME_UNKNOWN", "OK"];
    expect(early.filter((outcome) => !expected.includes(outcome))).toEqual([]);
    expect(await rowsOf(database.url, refused)).toBe(0);
  });
});

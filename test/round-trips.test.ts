import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FieldSelectionSchema } from "../gen/learnerstate/v1/user_state_pb.js";
import { collect, userStateClient } from "./support/clients.js";
import { blockKey, unique } from "./support/fixture.js";
import { startPgProxy, throughProxy, type PgProxy } from "./support/pg-proxy.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";

let proxy: PgProxy;
let server: ServerProcess;

beforeAll(async () => {
  const databaseUrl = new URL(inject("databaseUrl"));
  proxy = await startPgProxy({ host: databaseUrl.hostname, port: Number(databaseUrl.port || 5432) });
  // One pooled connection, and the heartbeat's connection quiet (10 minutes
  // between heartbeats), so nothing but the call under test talks to the database.
  server = await startServerProcess({ DATABASE_URL: throughProxy(databaseUrl.toString(), proxy), DB_POOL_SIZE: "1", DB_HEARTBEAT_INTERVAL_MS: "600000" });
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
  await proxy.close();
});

/** Round trips the server makes to PostgreSQL while `call` runs. */
async function roundTripsOf(call: () => Promise<unknown>): Promise<number> {
  const before = proxy.roundTrips();
  await call();
  return proxy.roundTrips() - before;
}

describe("database round trips", () => {
  it("SetMany makes one, whatever the number of blocks", async () => {
    const client = userStateClient(server.baseUrl);
    const course = `course-v1:${unique("Org")}+Trips+2026`;
    const username = unique("learner");
    const updates = (count: number, round: number) =>
      Array.from({ length: count }, (_, index) => ({ blockKey: blockKey(course, "problem", `p${index}`), fields: { round: String(round), [`f${index}`]: "1" } }));
    await client.setMany({ username, updates: updates(1, 0) }); // opens the pooled connection
    expect(await roundTripsOf(() => client.setMany({ username, updates: updates(1, 1) }))).toBe(1);
    expect(await roundTripsOf(() => client.setMany({ username, updates: updates(10, 2) }))).toBe(1);
    expect(await roundTripsOf(() => client.setMany({ username, updates: updates(1000, 3) }))).toBe(1);
    // Control: the counter does see several round trips where there are several
    // (a partial delete runs begin, trim, delete-emptied and commit).
    const partialDelete = () =>
      client.deleteMany({ username, blockKeys: [updates(1, 0)[0]!.blockKey], fieldSelection: create(FieldSelectionSchema, { fieldNames: ["f0", "round"] }) });
    expect(await roundTripsOf(partialDelete)).toBeGreaterThan(1);
  });

  it("GetMany makes one, whatever the number of blocks", async () => {
    const client = userStateClient(server.baseUrl);
    const course = `course-v1:${unique("Org")}+Trips+2026`;
    const username = unique("learner");
    const keys = Array.from({ length: 2000 }, (_, index) => blockKey(course, "problem", `p${index}`));
    await client.setMany({ username, updates: keys.slice(0, 1000).map((key) => ({ blockKey: key, fields: { v: "1" } })) });
    let returned = 0;
    expect(
      await roundTripsOf(async () => {
        const messages = await collect(client.getMany({ username, blockKeys: keys }));
        returned = messages.reduce((sum, message) => sum + message.blockStates.length, 0);
      }),
    ).toBe(1);
    expect(returned).toBe(1000);
  });
});

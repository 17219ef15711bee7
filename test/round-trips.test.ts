import { create } from "@bufbuild/protobuf";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FieldSelectionSchema } from "../gen/learnerstate/v1/user_state_pb.js";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { blockStructureClient, collect, userStateClient } from "./support/clients.js";
import { blockInputsOf, generateCourse } from "./support/course-graph.js";
import { scoresOf, viewRequest } from "./support/course-view.js";
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

  it("GetTransformed with learner state makes one, reading the structure and the learner's state together", async () => {
    const client = blockStructureClient(server.baseUrl);
    const states = userStateClient(server.baseUrl);
    const course = generateCourse(`course-v1:${unique("Org")}+Trips+2026`, {
      chapters: 6,
      sequentialsPerChapter: 3,
      verticalsPerSequential: 3,
      problemsPerVertical: 3,
      libraryChildren: 4,
    });
    const username = unique("learner");
    const publish = () => client.updateCollected({ rootBlockKey: course.rootKey, blocks: blockInputsOf(course), dataEditTimestamp: timestampFromDate(new Date()) });
    expect(await roundTripsOf(publish)).toBe(1);
    await states.setMany({
      username,
      updates: [
        { blockKey: course.notable.library, fields: { selected: JSON.stringify([["problem", "lib1"]]) } },
        ...[...scoresOf(course)].map(([key, score]) => ({ blockKey: key, fields: { score: JSON.stringify(score) } })),
      ],
    });
    let attempted = "";
    const transform = async () => {
      const messages = await collect(client.getTransformed(viewRequest(course, username)));
      attempted = messages[0]!.blocks[0]!.transformerFields["learner_progress"]!.fields["attempted_blocks"]!;
    };
    // A cold read: a new revision behind the server's back (as another server's
    // write would make) sends the structure's data with the learner's state.
    const db = new pg.Client({ connectionString: inject("databaseUrl") });
    await db.connect();
    await db.query("update block_structure set revision = nextval('block_structure_revision_seq') where context_key = $1", [course.courseKey]);
    await db.end();
    expect(await roundTripsOf(transform)).toBe(1);
    expect(Number(attempted)).toBeGreaterThan(50);
    // A warm one: the cached copy is checked in the same statement.
    expect(await roundTripsOf(transform)).toBe(1);
  });
});

import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, describe, expect, inject, it } from "vitest";
import { ChangeKind } from "../gen/learnerstate/v1/user_state_pb.js";
import { collect, userStateClient } from "./support/clients.js";
import { blockKey, errorInfoOf } from "./support/fixture.js";
import { startServerProcess } from "./support/server-process.js";

const directories: string[] = [];
afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

describe("with no DATABASE_URL", () => {
  it("serves a set/get round trip and a bulk read from the embedded PostgreSQL and keeps the data across restarts", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "learnerstate-embedded-"));
    directories.push(dataDir);
    const env = { DATABASE_URL: undefined, LEARNERSTATE_DATA_DIR: dataDir };
    const key = blockKey("course-v1:Embedded+E1+2026", "problem", "p");

    const first = await startServerProcess(env);
    expect(first.output.some((line) => line.includes("using the embedded PostgreSQL (PGlite)") && line.includes(dataDir))).toBe(true);
    const written = await userStateClient(first.baseUrl).setMany({ username: "embedded", updates: [{ blockKey: key, fields: { answer: "42" } }] });
    expect(written.results[0]!.updateTime!.nanos % 1000).toBe(0);
    const read = await collect(userStateClient(first.baseUrl).getMany({ username: "embedded", blockKeys: [key] }));
    expect(read.flatMap((message) => message.blockStates.map((state) => state.fields))).toEqual([{ answer: "42" }]);
    expect(await first.stop()).toBe(0);

    const second = await startServerProcess(env);
    const again = await collect(userStateClient(second.baseUrl).getMany({ username: "embedded", blockKeys: [key] }));
    expect(again.flatMap((message) => message.blockStates.map((state) => state.fields))).toEqual([{ answer: "42" }]);
    // Bulk reads come as binary COPY output, which the embedded database writes too.
    await userStateClient(second.baseUrl).setMany({ username: "embedded2", updates: [{ blockKey: key, fields: { answer: '"vingt-deux ✓"' } }] });
    const course = await collect(userStateClient(second.baseUrl).iterAllForCourse({ courseKey: "course-v1:Embedded+E1+2026", batchSize: 1 }));
    expect(course.flatMap((message) => message.blockStates.map((state) => [state.username, state.fields]))).toEqual([
      ["embedded", { answer: "42" }],
      ["embedded2", { answer: '"vingt-deux ✓"' }],
    ]);
    expect(await second.stop()).toBe(0);
  });
});

describe("the change feed on the embedded database", () => {
  it("streams committed changes with etags, and refuses a token of another database's transactions (OUT_OF_RANGE)", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "learnerstate-embedded-"));
    directories.push(dataDir);
    const embedded = await startServerProcess({ DATABASE_URL: undefined, LEARNERSTATE_DATA_DIR: dataDir });
    const onPostgres = await startServerProcess({ DATABASE_URL: inject("databaseUrl") });
    try {
      const courseKey = "course-v1:Embedded+Watch+2026";
      const key = blockKey(courseKey, "problem", "p");
      const client = userStateClient(embedded.baseUrl);
      const watch = client.watchChanges({ courseKey })[Symbol.asyncIterator]();
      expect((await watch.next()).value?.changes).toEqual([]);
      const written = await client.setMany({ username: "embedded", updates: [{ blockKey: key, fields: { answer: "42" } }] });
      await client.setMany({ username: "embedded", updates: [{ blockKey: key, fields: { answer: "43" } }] });
      const stale = await client
        .setMany({ username: "embedded", updates: [{ blockKey: key, fields: { answer: "44" }, precondition: { etag: written.results[0]!.etag } }] })
        .then(() => null, (error: unknown) => ConnectError.from(error).code);
      expect(stale).toBe(Code.Aborted);
      const changes = [];
      while (changes.length < 2) changes.push(...((await watch.next()).value?.changes ?? []));
      await watch.return?.();
      expect(changes.map((change) => [change.kind, change.blockKey, change.fieldNames])).toEqual([
        [ChangeKind.FIELDS_WRITTEN, key, ["answer"]],
        [ChangeKind.FIELDS_WRITTEN, key, ["answer"]],
      ]);

      // A token of the suite's PostgreSQL names transactions the embedded database never had.
      let token = "";
      for await (const response of userStateClient(onPostgres.baseUrl).watchChanges({ courseKey })) {
        token = response.resumeToken;
        break;
      }
      const refused = await collect(client.watchChanges({ courseKey, resumeToken: token })).then(
        () => null,
        (error: unknown) => ConnectError.from(error),
      );
      expect(refused?.code).toBe(Code.OutOfRange);
      expect(errorInfoOf(refused!).reason).toBe("CHANGE_FEED_POSITION_UNKNOWN");
    } finally {
      expect(await embedded.stop()).toBe(0);
      expect(await onPostgres.stop()).toBe(0);
    }
  });
});

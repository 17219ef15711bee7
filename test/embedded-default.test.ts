import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collect, userStateClient } from "./support/clients.js";
import { blockKey } from "./support/fixture.js";
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

import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Scope, createLearnerStateClient } from "../src/client/index.js";
import { transportTo } from "./support/clients.js";
import { blockKey, expectCode, unique, useServer } from "./support/fixture.js";

const fixture = useServer();

describe("the TypeScript single-item client", () => {
  it("gets, sets and deletes one block with JavaScript values", async () => {
    const client = createLearnerStateClient({ target: fixture.server.baseUrl });
    const username = unique("learner");
    const key = blockKey(`course-v1:${unique("Org")}+TS+2026`, "problem", "p");
    expect(await client.get(username, key)).toBeUndefined();
    const written = await client.set(username, key, { attempts: 1, answer: { q1: ["a", "b"] }, done: true, note: null });
    expect(Math.abs(written.getTime() - Date.now())).toBeLessThan(60_000);
    await client.set(username, key, { attempts: 2 });
    expect(await client.get(username, key)).toEqual({ attempts: 2, answer: { q1: ["a", "b"] }, done: true, note: null });
    expect(await client.get(username, key, ["done"])).toEqual({ done: true });
    await client.delete(username, key, ["answer", "note"]);
    expect(await client.get(username, key)).toEqual({ attempts: 2, done: true });
    await client.delete(username, key);
    expect(await client.get(username, key)).toBeUndefined();
  });

  it("reads and writes the scope it was created for", async () => {
    const transport = transportTo(fixture.server.baseUrl);
    const preferences = createLearnerStateClient({ transport, scope: Scope.PREFERENCES });
    const userState = createLearnerStateClient({ transport });
    const username = unique("learner");
    const [first, second] = [blockKey(`course-v1:${unique("Org")}+TS+2026`, "video", "v1"), blockKey(`course-v1:${unique("Org")}+TS+2026`, "video", "v2")];
    await preferences.set(username, first, { speed: 1.5 });
    expect(await preferences.get(username, second)).toEqual({ speed: 1.5 });
    expect(await userState.get(username, first)).toBeUndefined();
    await preferences.delete(username, second);
    expect(await preferences.get(username, first)).toBeUndefined();
  });

  it("reports the contract's errors", async () => {
    const client = createLearnerStateClient({ target: fixture.server.baseUrl });
    await expectCode(client.set(unique("learner"), "not a key", { a: 1 }), Code.InvalidArgument);
  });
});

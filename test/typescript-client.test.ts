import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createLearnerStateClient } from "../src/client/index.js";
import { transportTo } from "./support/clients.js";
import { blockKey, expectCode, unique, useServer } from "./support/fixture.js";

const fixture = useServer();

describe("the TypeScript single-item client", () => {
  it("gets, sets and deletes one block with JavaScript values", async () => {
    const client = createLearnerStateClient(transportTo(fixture.server.baseUrl));
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

  it("reports the contract's errors", async () => {
    const client = createLearnerStateClient(transportTo(fixture.server.baseUrl));
    await expectCode(client.set(unique("learner"), "not a key", { a: 1 }), Code.InvalidArgument);
  });
});

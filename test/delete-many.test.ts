import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { FieldSelectionSchema } from "../gen/learnerstate/v1/user_state_pb.js";
import { collect } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";

const fixture = useServer();
const course = () => `course-v1:${unique("Org")}+Del+2026`;
const selection = (fieldNames: string[]) => create(FieldSelectionSchema, { fieldNames });

async function stateOf(username: string, key: string) {
  const messages = await collect(fixture.client.getMany({ username, blockKeys: [key] }));
  return messages.flatMap((message) => message.blockStates)[0]?.fields;
}

describe("DeleteMany", () => {
  it("deletes the whole state of each block when no selection is given", async () => {
    const username = unique("learner");
    const c = course();
    const [a, b, kept] = [blockKey(c, "problem", "a"), blockKey(c, "problem", "b"), blockKey(c, "problem", "kept")];
    await fixture.client.setMany({ username, updates: [a, b, kept].map((key) => ({ blockKey: key, fields: { v: "1" } })) });
    await fixture.client.deleteMany({ username, blockKeys: [a, b] });
    expect(await stateOf(username, a)).toBeUndefined();
    expect(await stateOf(username, b)).toBeUndefined();
    expect(await stateOf(username, kept)).toEqual({ v: "1" });
  });

  it("deletes only the selected fields and keeps the others", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "partial");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { a: "1", b: "2", c: "3" } }] });
    await fixture.client.deleteMany({ username, blockKeys: [key], fieldSelection: selection(["a", "c", "absent"]) });
    expect(await stateOf(username, key)).toEqual({ b: "2" });
  });

  it("deletes the block's state when its last field is removed", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "last");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { only: "1" } }] });
    await fixture.client.deleteMany({ username, blockKeys: [key], fieldSelection: selection(["only"]) });
    expect(await stateOf(username, key)).toBeUndefined();
    const rows = await fixture.db.query("select 1 from user_state where username = $1", [username]);
    expect(rows.rowCount).toBe(0);
  });

  it("deletes nothing for a selection that is present but empty", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "none");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { a: "1" } }] });
    await fixture.client.deleteMany({ username, blockKeys: [key], fieldSelection: selection([]) });
    expect(await stateOf(username, key)).toEqual({ a: "1" });
  });

  it("is a no-op for blocks and fields that do not exist, and when repeated", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "noop");
    await fixture.client.deleteMany({ username, blockKeys: [key] });
    await fixture.client.deleteMany({ username, blockKeys: [key], fieldSelection: selection(["x"]) });
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { a: "1" } }] });
    await fixture.client.deleteMany({ username, blockKeys: [key], fieldSelection: selection(["missing"]) });
    expect(await stateOf(username, key)).toEqual({ a: "1" });
    const history = await fixture.db.query("select count(*)::int as n from user_state_history where username = $1", [username]);
    expect(history.rows[0].n).toBe(1);
  });

  it("lets a deleted block be written again from scratch", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "again");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { old: "1" } }] });
    await fixture.client.deleteMany({ username, blockKeys: [key] });
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { fresh: "2" } }] });
    expect(await stateOf(username, key)).toEqual({ fresh: "2" });
  });
});

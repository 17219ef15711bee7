import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { FieldSelectionSchema, type FieldModification } from "../gen/learnerstate/v1/user_state_pb.js";
import { collect } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";

const fixture = useServer();
const course = () => `course-v1:${unique("Org")}+Mod+2026`;

async function modDates(username: string, blockKeys: string[], fieldNames?: string[]): Promise<FieldModification[]> {
  const fieldSelection = fieldNames === undefined ? undefined : create(FieldSelectionSchema, { fieldNames });
  const messages = await collect(fixture.client.getModDates({ username, blockKeys, fieldSelection }));
  return messages.flatMap((message) => message.fieldModifications);
}

describe("GetModDates", () => {
  it("reports, per field, the time that field was last written", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "times");
    const first = await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { a: "1", b: "1" } }] });
    const second = await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { b: "2" } }] });
    const firstTime = first.results[0]!.updateTime;
    const secondTime = second.results[0]!.updateTime;
    expect(secondTime).not.toEqual(firstTime);
    expect((await modDates(username, [key])).map((entry) => [entry.blockKey, entry.fieldName, entry.updateTime])).toEqual([
      [key, "a", firstTime],
      [key, "b", secondTime],
    ]);
  });

  it("keeps request order, reports only selected fields, and skips missing blocks and fields", async () => {
    const username = unique("learner");
    const c = course();
    const [x, y, missing] = [blockKey(c, "html", "x"), blockKey(c, "html", "y"), blockKey(c, "html", "missing")];
    await fixture.client.setMany({ username, updates: [x, y].map((key) => ({ blockKey: key, fields: { a: "1", b: "2" } })) });
    expect((await modDates(username, [y, missing, x], ["b", "zz"])).map((entry) => [entry.blockKey, entry.fieldName])).toEqual([
      [y, "b"],
      [x, "b"],
    ]);
    expect(await modDates(username, [x], [])).toEqual([]);
  });

  it("names each block as the caller spelled it, a block named in two spellings once, at the first", async () => {
    const username = unique("learner");
    const c = course();
    // Without its type, a block-v1 key is stored under its canonical form, type@None.
    const canonical = `block-v1:${c.slice("course-v1:".length)}+type@None+block@a`;
    const untyped = `block-v1:${c.slice("course-v1:".length)}+block@a`;
    const plain = blockKey(c, "problem", "plain");
    await fixture.client.setMany({ username, updates: [{ blockKey: untyped, fields: { v: "1" } }, { blockKey: plain, fields: { w: "2" } }] });
    expect((await modDates(username, [plain, untyped, canonical])).map((entry) => [entry.blockKey, entry.fieldName])).toEqual([
      [plain, "w"],
      [untyped, "v"],
    ]);
    expect((await modDates(username, [canonical])).map((entry) => [entry.blockKey, entry.fieldName])).toEqual([[canonical, "v"]]);
  });

  it("forgets the time of a deleted field", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "forget");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { a: "1", b: "2" } }] });
    await fixture.client.deleteMany({ username, blockKeys: [key], fieldSelection: create(FieldSelectionSchema, { fieldNames: ["a"] }) });
    expect((await modDates(username, [key])).map((entry) => entry.fieldName)).toEqual(["b"]);
  });
});

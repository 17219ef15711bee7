import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { FieldSelectionSchema, type BlockState } from "../gen/learnerstate/v1/user_state_pb.js";
import { collect } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";

const fixture = useServer();
const course = () => `course-v1:${unique("Org")}+C101+2026`;

async function getMany(username: string, blockKeys: string[], fieldNames?: string[]): Promise<BlockState[]> {
  const fieldSelection = fieldNames === undefined ? undefined : create(FieldSelectionSchema, { fieldNames });
  const messages = await collect(fixture.client.getMany({ username, blockKeys, fieldSelection }));
  return messages.flatMap((message) => message.blockStates);
}

const fieldsOf = (states: BlockState[]) => states.map((state) => ({ key: state.blockKey, fields: state.fields }));

describe("SetMany", () => {
  it("overlays fields like a shallow dict update and creates absent state", async () => {
    const username = unique("learner");
    const [a, b] = [blockKey(course(), "problem", "a"), blockKey(course(), "problem", "b")];
    await fixture.client.setMany({ username, updates: [{ blockKey: a, fields: { attempts: "1", answer: '{"x":1}' } }] });
    await fixture.client.setMany({
      username,
      updates: [
        { blockKey: a, fields: { attempts: "2", seed: "7" } },
        { blockKey: b, fields: { position: "3" } },
      ],
    });
    expect(fieldsOf(await getMany(username, [a, b]))).toEqual([
      { key: a, fields: { attempts: "2", answer: '{"x": 1}', seed: "7" } },
      { key: b, fields: { position: "3" } },
    ]);
  });

  it("replaces a nested value whole rather than merging into it", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "nested");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { answer: '{"p1": "a", "p2": "b"}' } }] });
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { answer: '{"p1": "c"}' } }] });
    expect(fieldsOf(await getMany(username, [key]))).toEqual([{ key, fields: { answer: '{"p1": "c"}' } }]);
  });

  it("returns one update time per block in request order, equal to what GetMany reports, to the microsecond", async () => {
    const username = unique("learner");
    const keys = [blockKey(course(), "html", "x"), blockKey(course(), "video", "y")];
    const response = await fixture.client.setMany({ username, updates: keys.map((key) => ({ blockKey: key, fields: { n: "1" } })) });
    expect(response.results.map((result) => result.blockKey)).toEqual(keys);
    const states = await getMany(username, keys);
    expect(states.map((state) => state.updateTime)).toEqual(response.results.map((result) => result.updateTime));
    // Times are whole microseconds from the database clock.
    expect(response.results.every((result) => result.updateTime!.nanos % 1000 === 0)).toBe(true);
    expect(Math.abs(timestampDate(response.results[0]!.updateTime!).getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("keeps microsecond precision instead of milliseconds", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "micro");
    const nanos: number[] = [];
    for (let write = 0; write < 5; write += 1) {
      const response = await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { n: String(write) } }] });
      nanos.push(response.results[0]!.updateTime!.nanos);
    }
    // With millisecond truncation every value would be a multiple of 1,000,000 ns;
    // five database times in a row all landing on whole milliseconds is a 1e-15 chance.
    expect(nanos.some((value) => value % 1_000_000 !== 0)).toBe(true);
  });

  it("creates an empty state {} for an update with no fields", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "empty");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: {} }] });
    expect(fieldsOf(await getMany(username, [key]))).toEqual([{ key, fields: {} }]);
  });
});

describe("GetMany", () => {
  it("returns blocks in request order and skips missing blocks without error", async () => {
    const username = unique("learner");
    const c = course();
    const [first, missing, second] = [blockKey(c, "problem", "1"), blockKey(c, "problem", "missing"), blockKey(c, "problem", "2")];
    await fixture.client.setMany({ username, updates: [second, first].map((key) => ({ blockKey: key, fields: { k: `"${key}"` } })) });
    const states = await getMany(username, [second, missing, first]);
    expect(states.map((state) => state.blockKey)).toEqual([second, first]);
    expect(states.every((state) => state.username === username)).toBe(true);
  });

  it("returns nothing, not an error, when no requested block has state", async () => {
    expect(await getMany(unique("nobody"), [blockKey(course(), "problem", "none")])).toEqual([]);
  });

  it("returns every field when the selection is absent and no field when it is present but empty", async () => {
    const username = unique("learner");
    const key = blockKey(course(), "problem", "sel");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { a: "1", b: "2", c: "3" } }] });
    expect(fieldsOf(await getMany(username, [key]))).toEqual([{ key, fields: { a: "1", b: "2", c: "3" } }]);
    expect(fieldsOf(await getMany(username, [key], []))).toEqual([{ key, fields: {} }]);
    expect(fieldsOf(await getMany(username, [key], ["a", "c", "absent"]))).toEqual([{ key, fields: { a: "1", c: "3" } }]);
  });

  it("answers a repeated key once, at its first position", async () => {
    const username = unique("learner");
    const c = course();
    const [x, y] = [blockKey(c, "problem", "x"), blockKey(c, "problem", "y")];
    await fixture.client.setMany({ username, updates: [x, y].map((key) => ({ blockKey: key, fields: { v: "1" } })) });
    expect((await getMany(username, [y, x, y])).map((state) => state.blockKey)).toEqual([y, x]);
  });

  it("answers each block under the key as the caller spelled it, a block named in two spellings once, at the first", async () => {
    const username = unique("learner");
    const c = course();
    const canonical = (id: string) => `block-v1:${c.slice("course-v1:".length)}+type@None+block@${id}`;
    // Without its type, a block-v1 key is stored under its canonical form, type@None.
    const untyped = (id: string) => `block-v1:${c.slice("course-v1:".length)}+block@${id}`;
    const plain = blockKey(c, "problem", "plain");
    await fixture.client.setMany({ username, updates: [{ blockKey: untyped("a"), fields: { v: "1" } }, { blockKey: plain, fields: { v: "2" } }] });
    expect(fieldsOf(await getMany(username, [untyped("a"), plain, canonical("a")]))).toEqual([
      { key: untyped("a"), fields: { v: "1" } },
      { key: plain, fields: { v: "2" } },
    ]);
    expect(fieldsOf(await getMany(username, [canonical("a"), plain]))).toEqual([
      { key: canonical("a"), fields: { v: "1" } },
      { key: plain, fields: { v: "2" } },
    ]);
  });

  it("streams large answers in several messages of several blocks each", async () => {
    const username = unique("learner");
    const c = course();
    const keys = Array.from({ length: 250 }, (_, index) => blockKey(c, "problem", `p${index}`));
    await fixture.client.setMany({ username, updates: keys.map((key, index) => ({ blockKey: key, fields: { index: String(index) } })) });
    const messages = await collect(fixture.client.getMany({ username, blockKeys: keys }));
    expect(messages.map((message) => message.blockStates.length)).toEqual([100, 100, 50]);
    expect(messages.flatMap((message) => message.blockStates.map((state) => state.fields["index"]))).toEqual(keys.map((_, index) => String(index)));
  });

  it("keeps the state of one learner apart from another's", async () => {
    const [alice, bob] = [unique("alice"), unique("bob")];
    const key = blockKey(course(), "problem", "shared");
    await fixture.client.setMany({ username: alice, updates: [{ blockKey: key, fields: { who: '"alice"' } }] });
    await fixture.client.setMany({ username: bob, updates: [{ blockKey: key, fields: { who: '"bob"' } }] });
    expect((await getMany(alice, [key]))[0]!.fields).toEqual({ who: '"alice"' });
    expect((await getMany(bob, [key]))[0]!.fields).toEqual({ who: '"bob"' });
  });
});

// STATE_FORM_JSON_OBJECT: each state as one JSON object text (state_json),
// against the per-field form, for generated states, over gRPC (binary) and
// the Connect protocol (JSON): the same text PostgreSQL stores, the same
// fields after parsing, and every digit of every number.
import { create } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FieldSelectionSchema, StateForm, type BlockState } from "../gen/learnerstate/v1/user_state_pb.js";
import { UserStateService } from "../gen/learnerstate/v1/user_state_service_pb.js";
import { collect, transportTo, type Protocol } from "./support/clients.js";
import { blockKey, errorInfoOf, expectCode, unique, useServer } from "./support/fixture.js";

const fixture = useServer();

/** Field values as JSON texts: numbers beyond 2^53, `1` and `1.0`, unicode, escapes, nesting. */
const valueText = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.constantFrom("9007199254740993", "-123456789012345678901234567890", "1.0", "1", "2.50", "0.1", '"héllo 漢字 🎉"', '"quote \\" and \\\\ and \\n"', '{"deep": [1, 9007199254740995, {"x": 1.10}]}'),
);
const fieldName = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }).filter((name) => !name.includes("\u0000") && name.isWellFormed()), fc.constantFrom("a", "bb", "1", "ünï"));
const state = fc.dictionary(fieldName, valueText, { minKeys: 0, maxKeys: 8 });

describe.each(["grpc", "connect"] as const)("STATE_FORM_JSON_OBJECT over %s", (protocol: Protocol) => {
  const client = () => createClient(UserStateService, transportTo(fixture.server.baseUrl, protocol));

  it("carries the stored JSON text whole, equal to the fields form after parsing, every digit kept", async () => {
    const course = `course-v1:${unique("Org")}+Forms+2026`;
    const username = unique("learner");
    const states = fc.sample(state, { seed: 24, numRuns: 60 });
    const keys = states.map((_, index) => blockKey(course, "problem", `p${index}`));
    await fixture.client.setMany({ username, updates: states.map((fields, index) => ({ blockKey: keys[index]!, fields })) });
    const asFields = (await collect(client().getMany({ username, blockKeys: keys }))).flatMap((message) => message.blockStates);
    const asObjects = (await collect(client().getMany({ username, blockKeys: keys, stateForm: StateForm.JSON_OBJECT }))).flatMap((message) => message.blockStates);
    const stored = await fixture.db.query<{ usage_key: string; state: string }>("select usage_key, state::text as state from user_state where username = $1", [username]);
    const storedText = new Map(stored.rows.map((row) => [row.usage_key, row.state]));
    expect(asObjects.map((block) => block.blockKey)).toEqual(keys);
    asObjects.forEach((block, index) => {
      const perField = asFields[index]!;
      expect(block.fields, "no per-field values in this form").toEqual({});
      expect(perField.stateJson, "no object text in the fields form").toBe("");
      expect(block.stateJson).toBe(storedText.get(keys[index]!));
      expect(block.updateTime).toEqual(perField.updateTime);
      const parsed = JSON.parse(block.stateJson) as Record<string, unknown>;
      expect(Object.keys(parsed).sort()).toEqual(Object.keys(perField.fields).sort());
      for (const [name, text] of Object.entries(perField.fields)) {
        expect(parsed[name], name).toEqual(JSON.parse(text));
        // The field's text, digits and all, is the object's own spelling of it.
        expect(block.stateJson).toContain(`${JSON.stringify(name)}: ${text}`);
      }
    });
    const bigInteger = asObjects.find((block) => block.stateJson.includes("9007199254740993"));
    expect(bigInteger, "the sample holds an integer beyond 2^53").toBeDefined();
  });

  it("keeps only the selected fields, and answers {} for a selection that matches none", async () => {
    const username = unique("learner");
    const key = blockKey(`course-v1:${unique("Org")}+Forms+2026`, "problem", "p");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { a: "1", bb: "9007199254740993", c: '"x"' } }] });
    const read = async (fieldNames: string[]): Promise<BlockState> =>
      (await collect(client().getMany({ username, blockKeys: [key], stateForm: StateForm.JSON_OBJECT, fieldSelection: create(FieldSelectionSchema, { fieldNames }) })))[0]!.blockStates[0]!;
    expect((await read(["bb", "c"])).stateJson).toBe('{"c": "x", "bb": 9007199254740993}');
    expect((await read(["zz"])).stateJson).toBe("{}");
  });

  it("streams IterAllForCourse in the same form", async () => {
    const course = `course-v1:${unique("Org")}+Forms+2026`;
    const learners = [unique("learner"), unique("learner")];
    for (const [index, username] of learners.entries()) await fixture.client.setMany({ username, updates: [{ blockKey: blockKey(course, "problem", "p"), fields: { n: String(index), big: "123456789012345678901" } }] });
    const blocks = (await collect(client().iterAllForCourse({ courseKey: course, stateForm: StateForm.JSON_OBJECT }))).flatMap((message) => message.blockStates);
    expect(blocks.map((block) => block.stateJson).sort()).toEqual(['{"n": 0, "big": 123456789012345678901}', '{"n": 1, "big": 123456789012345678901}']);
  });

  it("streams GetHistory in the same form: each snapshot the stored text, deletions without one", async () => {
    const username = unique("learner");
    const key = blockKey(`course-v1:${unique("Org")}+Forms+2026`, "problem", "p");
    const states = fc.sample(state, { seed: 27, numRuns: 30 });
    for (const fields of states) await fixture.client.setMany({ username, updates: [{ blockKey: key, fields }] });
    await fixture.client.deleteMany({ username, blockKeys: [key] });
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { after: "9007199254740993" } }] });
    const asFields = (await collect(client().getHistory({ username, blockKey: key }))).flatMap((message) => message.entries);
    const asObjects = (await collect(client().getHistory({ username, blockKey: key, stateForm: StateForm.JSON_OBJECT }))).flatMap((message) => message.entries);
    const stored = await fixture.db.query<{ state: string | null }>("select state::text as state from user_state_history where username = $1 and usage_key = $2 order by id desc", [username, key]);
    expect(asObjects.map((entry) => entry.state?.stateJson ?? null)).toEqual(stored.rows.map((row) => row.state));
    expect(asObjects.filter((entry) => entry.state === undefined)).toHaveLength(1);
    expect(asObjects.map((entry) => entry.updateTime)).toEqual(asFields.map((entry) => entry.updateTime));
    asObjects.forEach((entry, index) => {
      const perField = asFields[index]!.state;
      expect(perField === undefined).toBe(entry.state === undefined);
      if (entry.state === undefined || perField === undefined) return;
      expect(entry.state.fields, "no per-field values in this form").toEqual({});
      expect(perField.stateJson, "no object text in the fields form").toBe("");
      const parsed = JSON.parse(entry.state.stateJson) as Record<string, unknown>;
      expect(Object.keys(parsed).sort()).toEqual(Object.keys(perField.fields).sort());
      for (const [name, text] of Object.entries(perField.fields)) expect(entry.state.stateJson).toContain(`${JSON.stringify(name)}: ${text}`);
    });
    expect(asObjects[0]!.state?.stateJson).toBe('{"after": 9007199254740993}');
  });
});

describe("state_form", () => {
  it("refuses a number the contract does not name, naming the field", async () => {
    const error = await expectCode(collect(fixture.client.getMany({ username: "u", blockKeys: [blockKey("course-v1:Org+C+R", "problem", "p")], stateForm: 7 as StateForm })), Code.InvalidArgument);
    expect(errorInfoOf(error)).toMatchObject({ reason: "INVALID_STATE_FORM", metadata: { field: "state_form" } });
  });

  it("refuses it in GetHistory too", async () => {
    const error = await expectCode(collect(fixture.client.getHistory({ username: "u", blockKey: blockKey("course-v1:Org+C+R", "problem", "p"), stateForm: 7 as StateForm })), Code.InvalidArgument);
    expect(errorInfoOf(error)).toMatchObject({ reason: "INVALID_STATE_FORM", metadata: { field: "state_form" } });
  });
});

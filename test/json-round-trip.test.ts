import { describe, expect, it } from "vitest";
import { collect } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";

const fixture = useServer();

/** Stores `fields` in a fresh block and reads them back. */
async function roundTrip(fields: Record<string, string>): Promise<Record<string, string>> {
  const username = unique("learner");
  const key = blockKey(`course-v1:${unique("Org")}+Json+2026`, "problem", "p");
  await fixture.client.setMany({ username, updates: [{ blockKey: key, fields }] });
  const messages = await collect(fixture.client.getMany({ username, blockKeys: [key] }));
  return messages[0]!.blockStates[0]!.fields;
}

describe("state values", () => {
  it("keep integers as integers, including beyond 2^53", async () => {
    const fields = { one: "1", zero: "0", negative: "-42", big: "9007199254740993", huge: "123456789012345678901234567890", min: "-9223372036854775809" };
    expect(await roundTrip(fields)).toEqual(fields);
  });

  it("keep floats with their digits", async () => {
    const fields = { tenth: "0.1", one: "1.0", pi: "3.141592653589793", tiny: "5e-324", third: "0.33333333333333331483" };
    const back = await roundTrip(fields);
    // jsonb keeps every digit but spells exponents out in full (documented in the contract).
    expect(back).toEqual({ ...fields, tiny: `0.${"0".repeat(323)}5` });
    for (const [name, text] of Object.entries(fields)) expect(Number(back[name])).toBe(Number(text));
  });

  it("keep strings, unicode, escapes, booleans and null", async () => {
    const fields = {
      text: JSON.stringify("héllo wörld — 漢字 🎉"),
      escapes: JSON.stringify('quote " backslash \\ newline \n tab \t'),
      yes: "true",
      no: "false",
      nothing: "null",
      emptyString: '""',
    };
    const back = await roundTrip(fields);
    expect(Object.fromEntries(Object.entries(back).map(([name, text]) => [name, JSON.parse(text)]))).toEqual(
      Object.fromEntries(Object.entries(fields).map(([name, text]) => [name, JSON.parse(text)])),
    );
  });

  it("keep nested objects and arrays with their values", async () => {
    const nested = '{"answers": {"q1": [1, 2.5, "x", null, {"deep": [true, {"deeper": 9007199254740993}]}]}, "empty": {}, "list": []}';
    const back = await roundTrip({ nested });
    expect(JSON.parse(back["nested"]!)).toEqual(JSON.parse(nested));
    // Every digit survives: the integer beyond 2^53 is still spelled out exactly.
    expect(back["nested"]).toContain('"deeper": 9007199254740993');
  });

  it("come back with object keys in jsonb's order (shorter first, then bytewise) and the last duplicate kept", async () => {
    const back = await roundTrip({ obj: '{"bb": 0, "b": 1, "a": 2, "b": 3}' });
    expect(back["obj"]).toBe('{"a": 2, "b": 3, "bb": 0}');
  });

  it("keep field names with any characters", async () => {
    const fields = { "with space": "1", "ünïcødé": "2", "dots.and/slashes": "3", "🎉": "4" };
    expect(await roundTrip(fields)).toEqual(fields);
  });
});

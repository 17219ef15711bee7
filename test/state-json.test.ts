import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { splitStateJson } from "../src/domain/state/state-json.js";

// Number spellings jsonb keeps or rewrites: big integers, trailing zeros,
// exponents, negative zero.
const numberTexts = ["0", "-0", "1", "1.0", "1.50", "-2.5e-3", "1e3", "1E+30", "9007199254740993", "-123456789012345678901234567890", "0.1000000000000000055511151231257827"];

/** A JSON text as a client might send it, white space and all. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(...numberTexts),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
    fc.constantFrom("true", "false", "null"),
    fc.string({ unit: "grapheme" }).map((text) => JSON.stringify(text)),
    // Escapes PostgreSQL must keep or normalise: quotes, backslashes, control characters, \u escapes.
    fc.constantFrom('"\\"quoted\\""', '"back\\\\slash"', '"tab\\tnew\\nline"', '"\\u00e9\\u4e2d\\ud83d\\ude00"', '"\\/"', '"\\u001f"'),
    fc.array(tie("value"), { maxLength: 4 }).map((items) => `[${items.join(" ,")}]`),
    fc.array(fc.tuple(fc.string({ unit: "grapheme", maxLength: 6 }), tie("value")), { maxLength: 4 }).map(
      (entries) => `{ ${entries.map(([key, value]) => `${JSON.stringify(key)} : ${value}`).join(",\n")} }`,
    ),
  ),
})).value;

/** A state: an object of fields, names with quotes, escapes and unicode among them. */
const stateText = fc
  .array(fc.tuple(fc.oneof(fc.string({ unit: "grapheme", maxLength: 12 }), fc.constantFrom('a"b', "back\\slash", "__proto__", "", "ключ", "\t")), jsonText), { maxLength: 8 })
  .map((entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(",")}}`);

let client: pg.Client;
beforeAll(async () => {
  client = new pg.Client({ connectionString: inject("databaseUrl") });
  await client.connect();
});
afterAll(() => client.end());

describe("splitStateJson()", () => {
  it("splits every stored state exactly as PostgreSQL's jsonb_each does", async () => {
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stateText, { minLength: 1, maxLength: 50 }), async (states) => {
        // What the store reads (the jsonb's text) and what jsonb_each makes of the same stored value.
        const result = await client.query<{ text: string; fields: Record<string, string> }>(
          `select s.state::text as text, coalesce((select jsonb_object_agg(e.key, e.value::text) from jsonb_each(s.state) e), '{}'::jsonb) as fields
           from unnest($1::text[]) with ordinality as i(text, ord), lateral (select i.text::jsonb as state) s order by i.ord`,
          [states],
        );
        for (const row of result.rows) {
          expect(splitStateJson(row.text)).toEqual(row.fields);
          expect(Object.keys(splitStateJson(row.text))).toEqual(Object.keys(row.fields));
          checked += 1;
        }
      }),
      { numRuns: 200 },
    );
    console.log(`splitStateJson agreed with jsonb_each on ${checked} stored states`);
    expect(checked).toBeGreaterThanOrEqual(200);
  });

  it("refuses text that is not one JSON object", () => {
    for (const text of ["", "[]", "1", '{"a"}', '{"a": }', '{"a": 1', '{"a": 1,}', '{"a": "x}']) expect(() => splitStateJson(text), text).toThrow(/not a JSON object/u);
  });
});

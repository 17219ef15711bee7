import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Scope } from "../gen/learnerstate/v1/scope_pb.js";
import { FieldSelectionSchema } from "../gen/learnerstate/v1/user_state_pb.js";
import { collect } from "./support/clients.js";
import { blockKey, errorInfoOf, expectCode, unique, useServer } from "./support/fixture.js";

// A smaller message limit than the default 16 MiB keeps the over-limit test light.
const fixture = useServer({ env: { MAX_MESSAGE_BYTES: String(4 * 1024 * 1024) } });
const course = `course-v1:${unique("Org")}+Bad+2026`;
const good = blockKey(course, "problem", "good");

/** A digest of every state and history table, to show a rejected call changed nothing. */
async function digest(): Promise<string> {
  const result = await fixture.db.query(`
    select md5(coalesce((select string_agg(t::text, '|' order by id) from user_state t), '') ||
               coalesce((select string_agg(h::text, '|' order by id) from user_state_history h), '') ||
               coalesce((select string_agg(t::text, '|' order by id) from scoped_state t), '') ||
               coalesce((select string_agg(h::text, '|' order by id) from scoped_state_history h), '')) as digest`);
  return result.rows[0].digest as string;
}

/** Expects `call` to be INVALID_ARGUMENT with `reason` naming `field`, and the database unchanged. */
async function expectRejected(call: () => Promise<unknown>, reason: string, field: string) {
  const before = await digest();
  const error = await expectCode(call(), Code.InvalidArgument);
  const info = errorInfoOf(error);
  expect(info).toMatchObject({ reason, domain: "learnerstate" });
  expect(info.metadata["field"]).toBe(field);
  expect(error.rawMessage).toContain(field);
  expect(await digest()).toBe(before);
  return error;
}

describe("bad requests get INVALID_ARGUMENT naming the field and change nothing", () => {
  it("an unparsable block key, naming the key", async () => {
    const username = unique("learner");
    await fixture.client.setMany({ username, updates: [{ blockKey: good, fields: { a: "1" } }] });
    const error = await expectRejected(
      () => fixture.client.setMany({ username, updates: [{ blockKey: good, fields: { a: "2" } }, { blockKey: "not a key", fields: { a: "2" } }] }),
      "INVALID_USAGE_KEY",
      "updates[1].block_key",
    );
    expect(error.rawMessage).toContain("not a key");
    expect(errorInfoOf(error).metadata["key"]).toBe("not a key");
    await expectRejected(() => collect(fixture.client.getMany({ username, blockKeys: [good, "i4x://broken"] })), "INVALID_USAGE_KEY", "block_keys[1]");
    await expectRejected(() => fixture.client.deleteMany({ username, blockKeys: ["block-v1:"] }), "INVALID_USAGE_KEY", "block_keys[0]");
    // A leading byte order mark makes a different string, which edx-opaque-keys refuses; it must not be dropped on the wire.
    await expectRejected(() => fixture.client.deleteMany({ username, blockKeys: [`\uFEFF${good}`] }), "INVALID_USAGE_KEY", "block_keys[0]");
    await expectRejected(() => collect(fixture.client.getHistory({ username, blockKey: "??" })), "INVALID_USAGE_KEY", "block_key");
    await expectRejected(() => collect(fixture.client.iterAllForBlock({ blockKey: "nope" })), "INVALID_USAGE_KEY", "block_key");
    await expectRejected(() => collect(fixture.client.iterAllForCourse({ courseKey: "nope" })), "INVALID_COURSE_KEY", "course_key");
  });

  it("a scope the call does not serve or the contract does not name, saying which scopes the call serves", async () => {
    for (const scope of [Scope.PREFERENCES, Scope.USER_INFO]) {
      const error = await expectRejected(() => collect(fixture.client.iterAllForCourse({ courseKey: course, scope })), "UNSUPPORTED_SCOPE", "scope");
      expect(error.rawMessage).toContain("serves scopes user_state, user_state_summary");
      expect(errorInfoOf(error).metadata["supportedScopes"]).toBe("user_state,user_state_summary");
    }
    const error = await expectRejected(() => collect(fixture.client.iterAllForBlock({ blockKey: good, scope: Scope.USER_INFO })), "UNSUPPORTED_SCOPE", "scope");
    expect(error.rawMessage).toContain("serves scopes user_state, preferences, user_state_summary");
    await expectRejected(() => collect(fixture.client.getMany({ username: "u", scope: 99 as Scope, blockKeys: [good] })), "UNSUPPORTED_SCOPE", "scope");
    await expectRejected(
      () => fixture.client.setMany({ username: unique("learner"), scope: 99 as Scope, updates: [{ blockKey: good, fields: { a: "1" } }] }),
      "UNSUPPORTED_SCOPE",
      "scope",
    );
  });

  it("a field value that is not JSON", async () => {
    for (const value of ["", "{", "abc", "'single'", "NaN", "1 2", "[1,]"]) {
      await expectRejected(
        () => fixture.client.setMany({ username: unique("learner"), updates: [{ blockKey: good, fields: { ok: "1", answer: value } }] }),
        "INVALID_FIELD_VALUE",
        'updates[0].fields["answer"]',
      );
    }
  });

  it("a JSON string containing \\u0000 or an unpaired surrogate, which jsonb refuses", async () => {
    for (const value of ['"a\\u0000b"', '{"k\\u0000": 1}', '["\\ud800"]', '"\\udc00x"']) {
      await expectRejected(
        () => fixture.client.setMany({ username: unique("learner"), updates: [{ blockKey: good, fields: { answer: value } }] }),
        "INVALID_FIELD_VALUE",
        'updates[0].fields["answer"]',
      );
    }
  });

  it("a number beyond the range of a double, and nesting deeper than 100 levels", async () => {
    await expectRejected(
      () => fixture.client.setMany({ username: unique("learner"), updates: [{ blockKey: good, fields: { n: "1e400" } }] }),
      "INVALID_FIELD_VALUE",
      'updates[0].fields["n"]',
    );
    await expectRejected(
      () => fixture.client.setMany({ username: unique("learner"), updates: [{ blockKey: good, fields: { deep: "[".repeat(10_000) + "]".repeat(10_000) } }] }),
      "INVALID_FIELD_VALUE",
      'updates[0].fields["deep"]',
    );
  });

  it("a 100 KB field name or key, answered with a clipped message rather than a transport error", async () => {
    const name = "n".repeat(100_000);
    const error = await expectCode(fixture.client.setMany({ username: unique("learner"), updates: [{ blockKey: good, fields: { [name]: "1" } }] }), Code.InvalidArgument);
    expect(errorInfoOf(error).reason).toBe("INVALID_FIELD_NAME");
    expect(error.rawMessage.length).toBeLessThan(2000);
    await expectCode(collect(fixture.client.getMany({ username: "u", blockKeys: ["block-v1:" + "+".repeat(100_000)] })), Code.InvalidArgument);
  });

  it("a bad username, field name, count, duplicate or batch size", async () => {
    await expectRejected(() => fixture.client.setMany({ username: "", updates: [{ blockKey: good, fields: {} }] }), "INVALID_USERNAME", "username");
    await expectRejected(() => fixture.client.setMany({ username: "a\u0000b", updates: [{ blockKey: good, fields: {} }] }), "INVALID_USERNAME", "username");
    await expectRejected(() => fixture.client.retireLearner({ username: "" }), "INVALID_USERNAME", "username");
    await expectRejected(() => fixture.client.retireLearner({ username: "x".repeat(151) }), "INVALID_USERNAME", "username");
    await expectRejected(
      () => fixture.client.setMany({ username: unique("learner"), updates: [{ blockKey: good, fields: { "": "1" } }] }),
      "INVALID_FIELD_NAME",
      'updates[0].fields[""]',
    );
    await expectRejected(() => fixture.client.setMany({ username: unique("learner"), updates: [] }), "EMPTY_BATCH", "updates");
    await expectRejected(() => collect(fixture.client.getMany({ username: "u", blockKeys: [] })), "EMPTY_BATCH", "block_keys");
    await expectRejected(
      () => fixture.client.deleteMany({ username: "u", blockKeys: Array.from({ length: 1001 }, (_, index) => blockKey(course, "html", `h${index}`)) }),
      "TOO_MANY_ITEMS",
      "block_keys",
    );
    await expectRejected(
      () =>
        fixture.client.setMany({
          username: unique("learner"),
          updates: [
            { blockKey: good, fields: { a: "1" } },
            { blockKey: good, fields: { b: "1" } },
          ],
        }),
      "DUPLICATE_BLOCK_KEY",
      "updates[1].block_key",
    );
    await expectRejected(
      () => collect(fixture.client.getMany({ username: "u", blockKeys: [good], fieldSelection: create(FieldSelectionSchema, { fieldNames: ["ok", ""] }) })),
      "INVALID_FIELD_NAME",
      "field_selection.field_names[1]",
    );
    await expectRejected(() => collect(fixture.client.iterAllForCourse({ courseKey: course, batchSize: -1 })), "INVALID_BATCH_SIZE", "batch_size");
  });
});

describe("size limits answer RESOURCE_EXHAUSTED and change nothing", () => {
  it("a field value over the value limit, naming the field", async () => {
    const before = await digest();
    const error = await expectCode(
      fixture.client.setMany({ username: unique("learner"), updates: [{ blockKey: good, fields: { essay: JSON.stringify("x".repeat(600 * 1024)) } }] }),
      Code.ResourceExhausted,
    );
    expect(errorInfoOf(error)).toMatchObject({ reason: "FIELD_TOO_LARGE", metadata: { field: 'updates[0].fields["essay"]' } });
    expect(await digest()).toBe(before);
  });

  it("a merge that would grow a block's state over the state limit writes no block of the call", async () => {
    const username = unique("learner");
    const other = blockKey(course, "problem", "other");
    const chunk = JSON.stringify("y".repeat(400 * 1024));
    await fixture.client.setMany({ username, updates: [{ blockKey: good, fields: { a: chunk, b: chunk } }] });
    const before = await digest();
    const error = await expectCode(
      fixture.client.setMany({ username, updates: [{ blockKey: other, fields: { small: "1" } }, { blockKey: good, fields: { c: chunk } }] }),
      Code.ResourceExhausted,
    );
    expect(errorInfoOf(error)).toMatchObject({ reason: "STATE_TOO_LARGE", metadata: { key: good } });
    expect(error.rawMessage).toContain(good);
    expect(await digest()).toBe(before);
  });

  it("a 10 MB value, over both the value and the message limit", async () => {
    const before = await digest();
    await expectCode(
      fixture.client.setMany({ username: unique("learner"), updates: [{ blockKey: good, fields: { huge: JSON.stringify("h".repeat(10 * 1024 * 1024)) } }] }),
      Code.ResourceExhausted,
    );
    expect(await digest()).toBe(before);
  });

  it("a message over the message size limit", async () => {
    const updates = Array.from({ length: 12 }, (_, index) => ({ blockKey: blockKey(course, "html", `big${index}`), fields: { v: JSON.stringify("z".repeat(500 * 1024)) } }));
    const before = await digest();
    await expectCode(fixture.client.setMany({ username: unique("learner"), updates }), Code.ResourceExhausted);
    expect(await digest()).toBe(before);
  });
});

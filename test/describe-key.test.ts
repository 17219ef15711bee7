import { readFile } from "node:fs/promises";
import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { KeyDescriptionSchema, KeyFamily, KeyService } from "../gen/learnerstate/v1/key_service_pb.js";
import { transportTo } from "./support/clients.js";
import { errorInfoOf, expectCode, useServer } from "./support/fixture.js";

const fixture = useServer();

type PythonValue = string | number | boolean | null | { error: string };
interface Vector {
  input: string;
  results: Record<string, Record<string, PythonValue>>;
  results_with_ccx_keys?: Record<string, Record<string, PythonValue>>;
}

const families: Record<string, KeyFamily> = {
  CourseKey: KeyFamily.COURSE,
  UsageKey: KeyFamily.USAGE,
  LearningContextKey: KeyFamily.LEARNING_CONTEXT,
  DefinitionKey: KeyFamily.DEFINITION,
  AssetKey: KeyFamily.ASSET,
  AsideUsageKey: KeyFamily.ASIDE_USAGE,
  AsideDefinitionKey: KeyFamily.ASIDE_DEFINITION,
  CollectionKey: KeyFamily.COLLECTION,
  ContainerKey: KeyFamily.CONTAINER,
  BlockTypeKey: KeyFamily.BLOCK_TYPE,
};

let vectors: Vector[];
beforeAll(async () => {
  const file = new URL("../../shared/keys/vectors.json", import.meta.url);
  vectors = (JSON.parse(await readFile(file, "utf8")) as { vectors: Vector[] }).vectors;
});

/**
 * What DescribeKey must answer for one Python result: null for "does not
 * parse", else the parts Python has, with `str` named `canonical` and the parts
 * that are None or that raised left out.
 */
function expectedDescription(result: Record<string, PythonValue>): Record<string, unknown> | null {
  if ("error" in result) return null;
  const expected: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(result)) {
    if (value === null || typeof value === "object") continue;
    expected[name === "str" ? "canonical" : name] = value;
  }
  return expected;
}

describe("KeyService.DescribeKey", () => {
  it("agrees with edx-opaque-keys (with edx-ccx-keys) on every reference vector, over the network", async () => {
    const client = createClient(KeyService, transportTo(fixture.server.baseUrl));
    const cases = vectors.flatMap((vector) =>
      Object.entries(families).map(([name, family]) => ({
        vector,
        name,
        family,
        expected: expectedDescription((vector.results_with_ccx_keys ?? vector.results)[name]!),
      })),
    );
    const disagreements: string[] = [];
    let agreed = 0;
    // A bounded number of calls in flight over one HTTP/2 connection.
    for (let start = 0; start < cases.length; start += 64) {
      await Promise.all(
        cases.slice(start, start + 64).map(async ({ vector, name, family, expected }) => {
          let actual: Record<string, unknown> | null;
          try {
            const response = await client.describeKey({ key: vector.input, family });
            actual = toJson(KeyDescriptionSchema, response.description!, { useProtoFieldName: true, alwaysEmitImplicit: true }) as Record<string, unknown>;
            if (typeof actual["bundle_version"] === "string") actual["bundle_version"] = Number(actual["bundle_version"]);
          } catch (error) {
            if (!(error instanceof ConnectError) || error.code !== Code.InvalidArgument) throw error;
            actual = null;
          }
          if (JSON.stringify(sorted(actual)) === JSON.stringify(sorted(expected))) agreed += 1;
          else disagreements.push(`${name} ${JSON.stringify(vector.input)}: expected ${JSON.stringify(sorted(expected))}, got ${JSON.stringify(sorted(actual))}`);
        }),
      );
    }
    console.log(`DescribeKey over the network: ${agreed}/${cases.length} parser results agree with Python`);
    expect(disagreements.slice(0, 10)).toEqual([]);
    expect(agreed).toBe(vectors.length * Object.keys(families).length);
  });

  it("answers INVALID_ARGUMENT naming the key and the reason when it does not parse as that family", async () => {
    const client = createClient(KeyService, transportTo(fixture.server.baseUrl));
    const error = await expectCode(client.describeKey({ key: "course-v1:edX+DemoX+2014", family: KeyFamily.USAGE }), Code.InvalidArgument);
    expect(errorInfoOf(error)).toMatchObject({ reason: "INVALID_KEY", metadata: { field: "key", family: "UsageKey" } });
    expect(error.rawMessage).toContain("course-v1:edX+DemoX+2014");
    const huge = await expectCode(client.describeKey({ key: "block-v1:" + "a".repeat(100_000), family: KeyFamily.USAGE }), Code.InvalidArgument);
    expect(errorInfoOf(huge).reason).toBe("INVALID_KEY");
    const noFamily = await expectCode(client.describeKey({ key: "course-v1:edX+DemoX+2014" }), Code.InvalidArgument);
    expect(errorInfoOf(noFamily)).toMatchObject({ reason: "INVALID_KEY_FAMILY", metadata: { field: "family" } });
  });

  it("describes a key with the parts other services ask for", async () => {
    const client = createClient(KeyService, transportTo(fixture.server.baseUrl));
    const { description } = await client.describeKey({ key: "i4x://edX/DemoX/problem/quiz1", family: KeyFamily.USAGE });
    expect(description).toMatchObject({ class: "BlockUsageLocator", deprecated: true, org: "edX", course: "DemoX", blockType: "problem", blockId: "quiz1" });
    // Python raises TypeError for the course key of an i4x:// key (it has no run): the part is left out.
    expect(description!.courseKey).toBeUndefined();
    expect(description!.run).toBeUndefined();
  });
});

/** `value` with object keys sorted, so two descriptions compare by content. */
function sorted(value: Record<string, unknown> | null): Record<string, unknown> | null {
  return value === null ? null : Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)));
}

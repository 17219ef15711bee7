import { Code, ConnectError, createClient } from "@connectrpc/connect";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BlockStructureService } from "../gen/learnerstate/v1/block_structure_service_pb.js";
import { KeyService } from "../gen/learnerstate/v1/key_service_pb.js";
import { collect, transportTo, userStateClient, type Protocol } from "./support/clients.js";
import { blockKey, useServer } from "./support/fixture.js";
import { healthOf } from "./support/health.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";
import { bearer, testAudience, testIssuer, testSecret } from "./support/tokens.js";

// A database of its own keeps the per-call digest cheap.
const fixture = useServer({ ownDatabase: true });
const runsPerRpc = 400;
// Longer than any answer may take: a call that reaches it counts as a hang.
const hangMs = 10_000;
const goodKey = blockKey("course-v1:Fuzz+F1+2026", "problem", "p");

async function digest(): Promise<string> {
  const result = await fixture.db.query(`
    select md5(coalesce((select string_agg(t::text, '|' order by id) from user_state t), '') ||
               coalesce((select string_agg(h::text, '|' order by id) from user_state_history h), '') ||
               coalesce((select string_agg(b::text, '|' order by id) from block_structure b), '')) as digest`);
  return result.rows[0].digest as string;
}

const sqlFragments = ["'; drop table user_state; --", "' or '1'='1", "$1", "?", "??", ":name", "\\x00", "');select pg_sleep(10);--", "%s%n", "${jndi:x}"];
/** Strings that attack parsers: control characters, NUL, lone surrogates, SQL, long runs, near-miss keys. */
const adversarialString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 64 }),
  fc.constantFrom("", "\u0000", "a\u0000b", "\ud800", "x\udc00", "\u202e", "\ufeff", "\n\r\t", ...sqlFragments),
  fc.constantFrom("block-v1:", "i4x://", "course-v1:", "lb:", "aside-usage-v2:", "ccx-block-v1:").chain((prefix) =>
    fc.string({ unit: "binary", maxLength: 80 }).map((rest) => prefix + rest),
  ),
  fc.tuple(fc.constantFrom("+", "@", ":", "/", "a", "$", "::"), fc.integer({ min: 1000, max: 100_000 })).map(([piece, count]) => "block-v1:" + piece.repeat(count)),
  fc.constant(goodKey),
);
/** Field values: valid JSON, broken JSON, hostile JSON. */
const fieldValue = fc.oneof(
  fc.json(),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom('"\\u0000"', '{"\\u0000": 1}', '"\\ud800"', "1e400", "-1e999", "NaN", "[".repeat(10_000) + "]".repeat(10_000), '{"a":'.repeat(500), ...sqlFragments.map((fragment) => JSON.stringify(fragment))),
  fc.constantFrom(1, 3, 10).map((megabytes) => JSON.stringify("m".repeat(megabytes * 1024 * 1024))),
);
const fieldMap = fc.dictionary(adversarialString, fieldValue, { maxKeys: 4 });
const scope = fc.integer({ min: -3, max: 8 });
const protocol = fc.constantFrom<Protocol>("grpc", "connect");

let calls = 0;
const outcomes = new Map<string, number>();

/** Runs `call`; the answer must be OK or a deliberate error code, and a refused call must leave the database as it was. */
async function expectHandled(call: () => Promise<unknown>): Promise<void> {
  const before = await digest();
  const code = await call().then(
    () => "OK",
    (error: unknown) => Code[ConnectError.from(error).code],
  );
  calls += 1;
  outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
  expect(["Internal", "Unknown", "DeadlineExceeded", "Unavailable"]).not.toContain(code);
  if (code !== "OK") expect(await digest()).toBe(before);
}

/** Keys of one small course, so that random graphs are sometimes valid. */
const courseBlock = fc.constantFrom(...["course", "chapter", "problem", "library_content"].map((type) => blockKey("course-v1:Fuzz+F1+2026", type, type === "course" ? "course" : "b")));
const blockKeyOrNot = fc.oneof(courseBlock, adversarialString);
const timestamp = fc.record({ seconds: fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: 0n, max: 2_000_000_000n })), nanos: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) });
const transformerName = fc.oneof(
  fc.constantFrom("visibility", "start_date", "hidden_content", "library_content", "blocks_api:block_depth", "blocks_api:block_counts", "blocks_api:block_navigation", "learner_progress"),
  adversarialString,
);
const blockStructures = (via: Protocol) => createClient(BlockStructureService, transportTo(fixture.server.baseUrl, via));

const options = { timeoutMs: hangMs };
const client = (via: Protocol) => userStateClient(fixture.server.baseUrl, via);

describe("fuzzing every RPC over the network", () => {
  const runOptions = { numRuns: runsPerRpc, interruptAfterTimeLimit: 90_000 };
  const properties: Record<string, () => Promise<void>> = {
    GetMany: () =>
      fc.assert(fc.asyncProperty(protocol, adversarialString, fc.array(adversarialString, { maxLength: 5 }), scope, (via, username, blockKeys, s) =>
      expectHandled(() => collect(client(via).getMany({ username, blockKeys, scope: s }, options))),
    ), runOptions),
    SetMany: () =>
      fc.assert(fc.asyncProperty(protocol, adversarialString, fc.array(fc.record({ blockKey: adversarialString, fields: fieldMap }), { maxLength: 3 }), scope, (via, username, updates, s) =>
      expectHandled(() => client(via).setMany({ username, updates, scope: s }, options)),
    ), runOptions),
    DeleteMany: () =>
      fc.assert(fc.asyncProperty(protocol, adversarialString, fc.array(adversarialString, { maxLength: 5 }), fc.option(fc.array(adversarialString, { maxLength: 3 })), (via, username, blockKeys, names) =>
      expectHandled(() => client(via).deleteMany({ username, blockKeys, fieldSelection: names === null ? undefined : { fieldNames: names } }, options)),
    ), runOptions),
    GetModDates: () =>
      fc.assert(fc.asyncProperty(protocol, adversarialString, fc.array(adversarialString, { maxLength: 5 }), (via, username, blockKeys) =>
      expectHandled(() => collect(client(via).getModDates({ username, blockKeys }, options))),
    ), runOptions),
    GetHistory: () =>
      fc.assert(fc.asyncProperty(protocol, adversarialString, adversarialString, scope, (via, username, key, s) =>
      expectHandled(() => collect(client(via).getHistory({ username, blockKey: key, scope: s }, options))),
    ), runOptions),
    IterAllForBlock: () =>
      fc.assert(fc.asyncProperty(protocol, adversarialString, fc.integer({ min: -10, max: 5000 }), adversarialString, (via, key, batchSize, resumeToken) =>
      expectHandled(() => collect(client(via).iterAllForBlock({ blockKey: key, batchSize, resumeToken }, options))),
    ), runOptions),
    IterAllForCourse: () =>
      fc.assert(fc.asyncProperty(protocol, adversarialString, adversarialString, fc.integer({ min: -10, max: 5000 }), adversarialString, (via, courseKey, blockType, batchSize, resumeToken) =>
      expectHandled(() => collect(client(via).iterAllForCourse({ courseKey, blockType, batchSize, resumeToken }, options))),
    ), runOptions),
    UpdateCollected: () =>
      fc.assert(fc.asyncProperty(
        protocol,
        blockKeyOrNot,
        fc.array(fc.record({ blockKey: blockKeyOrNot, blockType: fc.oneof(fc.constant(""), adversarialString), children: fc.array(blockKeyOrNot, { maxLength: 3 }), fields: fieldMap }), { maxLength: 5 }),
        fc.option(timestamp, { nil: undefined }),
        adversarialString,
        (via, rootBlockKey, blocks, dataEditTimestamp, dataVersion) =>
          expectHandled(() => blockStructures(via).updateCollected({ rootBlockKey, blocks, dataEditTimestamp, dataVersion }, options)),
      ), runOptions),
    GetTransformed: () =>
      fc.assert(fc.asyncProperty(
        protocol,
        fc.oneof(
          fc.record({ case: fc.constant("courseKey" as const), value: fc.oneof(fc.constant("course-v1:Fuzz+F1+2026"), adversarialString) }),
          fc.record({ case: fc.constant("startingBlockKey" as const), value: blockKeyOrNot }),
          fc.constant({ case: undefined }),
        ),
        fc.record({ username: adversarialString, hasStaffAccess: fc.boolean(), evaluateAt: fc.option(timestamp, { nil: undefined }) }),
        fc.array(transformerName, { maxLength: 4 }),
        fc.array(adversarialString, { maxLength: 3 }),
        fc.record({
          blockTypesToCount: fc.array(adversarialString, { maxLength: 3 }),
          requestedDepth: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { nil: undefined }),
          navigationDepth: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { nil: undefined }),
        }),
        (via, start, learner, transformers, requestedFields, transformerOptions) =>
          expectHandled(() => collect(blockStructures(via).getTransformed({ start, learner, transformers, requestedFields, options: transformerOptions }, options))),
      ), runOptions),
    ClearOrReadStructure: () =>
      fc.assert(fc.asyncProperty(protocol, fc.constantFrom("getCollected", "isUpToDate", "clearBlockStructure"), fc.oneof(fc.constant("course-v1:Fuzz+F1+2026"), adversarialString), fc.option(timestamp, { nil: undefined }), (via, rpc, courseKey, at) =>
        expectHandled(() => {
          const client = blockStructures(via);
          if (rpc === "getCollected") return collect(client.getCollected({ courseKey }, options));
          if (rpc === "isUpToDate") return client.isUpToDate({ courseKey, dataEditTimestamp: at }, options);
          return client.clearBlockStructure({ courseKey }, options);
        }),
      ), runOptions),
    DescribeKey: () =>
      fc.assert(fc.asyncProperty(protocol, adversarialString, fc.integer({ min: -2, max: 12 }), (via, key, family) =>
      expectHandled(() => createClient(KeyService, transportTo(fixture.server.baseUrl, via)).describeKey({ key, family }, options)),
    ), runOptions),
  };

  for (const [rpc, check] of Object.entries(properties)) {
    it(`${rpc}: random and adversarial input never gets INTERNAL, never hangs, and a refused call changes nothing`, check);
  }

  it("leaves the server alive and serving", async () => {
    expect(await healthOf(fixture.server.baseUrl)).toBe("SERVING");
    const summary = [...outcomes.entries()].map(([code, count]) => `${code} ${count}`).join(", ");
    console.log(`fuzz: ${calls} calls over the network: ${summary}`);
    expect(calls).toBeGreaterThanOrEqual(Object.keys(properties).length * runsPerRpc * 0.5);
  });
});

describe("fuzzing the authorization header", () => {
  let secured: ServerProcess;
  beforeAll(async () => {
    secured = await startServerProcess({ DATABASE_URL: inject("databaseUrl"), JWT_SECRET: testSecret, JWT_ISSUER: testIssuer, JWT_AUDIENCE: testAudience });
  });
  afterAll(async () => {
    expect(await secured.stop()).toBe(0);
  });

  it("answers UNAUTHENTICATED to every forged or garbled token", async () => {
    const header = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ maxLength: 200 }).map((text) => `Bearer ${text}`),
      fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map(([a, b, c]) => `Bearer ${a}.${b}.${c}`.replace(/=/gu, "")),
      fc.constantFrom("Bearer eyJhbGciOiJub25lIn0.eyJwcmVmZXJyZWRfdXNlcm5hbWUiOiJhIn0.", "Basic YTpi", "Bearer", "bearer x.y.z"),
    );
    await fc.assert(
      fc.asyncProperty(header, async (authorization) => {
        const code = await userStateClient(secured.baseUrl)
          .setMany({ username: "a", updates: [{ blockKey: goodKey, fields: { a: "1" } }] }, { ...bearer(null), headers: { authorization }, timeoutMs: hangMs })
          .then(
            () => "OK",
            (error: unknown) => Code[ConnectError.from(error).code],
          );
        // Headers that HTTP cannot carry are refused by the client before sending.
        expect(["Unauthenticated", "InvalidArgument"]).toContain(code === "Internal" && /[^\t\x20-\x7e]/u.test(authorization) ? "InvalidArgument" : code);
      }),
      { numRuns: 500 },
    );
  });
});

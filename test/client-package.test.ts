import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { blockKey, unique, useServer } from "./support/fixture.js";

// The built client package (`npm run build` writes dist/lib), imported by
// plain Node with no loader, the way a JavaScript backend would import it.
const fixture = useServer();
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);

/** Runs `script` as an ES module in `node`, from the repository (so `learnerstate/client` resolves to this package), and parses what it prints. */
async function inPlainNode(script: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 60_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

const script = `
import * as client from "learnerstate/client";
const { createLearnerStateServices, createLearnerStateClient, DoesNotExist, InvalidArgument, ServiceUnavailable, LearnerStateError, Scope, KeyFamily } = client;
const target = process.env.TARGET;
const { userState, keys, catalog, blockStructures } = createLearnerStateServices({ target });
const seen = {};
const failure = async (call) => { try { await call(); return null; } catch (error) { return error; } };

await userState.setMany({ username: process.env.LEARNER, updates: [{ blockKey: process.env.KEY, fields: { attempts: "2", answer: '"b"' } }] });
for await (const page of userState.getMany({ username: process.env.LEARNER, blockKeys: [process.env.KEY] })) seen.fields = page.blockStates[0].fields;
const rows = [];
for await (const page of userState.iterAllForCourse({ courseKey: process.env.COURSE, scope: Scope.USER_STATE })) rows.push(...page.blockStates.map((state) => state.username));
seen.iterated = rows;
seen.canonical = (await keys.describeKey({ key: "i4x://edX/DemoX/problem/q1", family: KeyFamily.USAGE })).description.canonical;
await catalog.createOrganization({ shortName: process.env.ORG, name: "Package test" });
seen.catalogCourses = (await catalog.listCatalogCourses({ orgCode: process.env.ORG })).catalogCourses.length;
seen.upToDate = (await blockStructures.isUpToDate({ courseKey: process.env.COURSE, dataVersion: "v1", dataEditTimestamp: { seconds: 1767225600n, nanos: 0 } })).upToDate;
seen.single = await createLearnerStateClient({ target }).get(process.env.LEARNER, process.env.KEY, ["answer"]);

const missing = await failure(async () => { for await (const _ of userState.getHistory({ username: unique(), blockKey: process.env.KEY })) {} });
function unique() { return "nobody_" + Math.random().toString(16).slice(2); }
seen.missing = { doesNotExist: missing instanceof DoesNotExist, learnerStateError: missing instanceof LearnerStateError, reason: missing.reason };
const invalid = await failure(() => userState.setMany({ username: process.env.LEARNER, updates: [{ blockKey: "not a key", fields: { a: "1" } }] }));
seen.invalid = { invalidArgument: invalid instanceof InvalidArgument, doesNotExist: invalid instanceof DoesNotExist, reason: invalid.reason, field: invalid.errorMetadata.field };
const closed = createLearnerStateServices({ target: process.env.CLOSED_TARGET, resume: { maxAttempts: 3, initialDelayMs: 10 } });
const unavailable = await failure(async () => { for await (const _ of closed.userState.iterAllForCourse({ courseKey: process.env.COURSE })) {} });
seen.unavailable = { serviceUnavailable: unavailable instanceof ServiceUnavailable, code: unavailable.code };
console.log(JSON.stringify(seen));
`;

describe("the built TypeScript client, imported by plain Node", () => {
  it("calls every service, and fails with typed errors that carry the ErrorInfo reason", async () => {
    const org = unique("Pkg");
    const course = `course-v1:${org}+Node+2026`;
    const learner = unique("learner");
    const key = blockKey(course, "problem", "q1");
    const seen = await inPlainNode(script, { TARGET: fixture.server.baseUrl, CLOSED_TARGET: "127.0.0.1:9", COURSE: course, ORG: org, LEARNER: learner, KEY: key });
    expect(seen).toEqual({
      fields: { attempts: "2", answer: '"b"' },
      iterated: [learner],
      canonical: "i4x://edX/DemoX/problem/q1",
      catalogCourses: 0,
      upToDate: false,
      single: { answer: "b" },
      missing: { doesNotExist: true, learnerStateError: true, reason: "STATE_NOT_FOUND" },
      invalid: { invalidArgument: true, doesNotExist: false, reason: "INVALID_USAGE_KEY", field: "updates[0].block_key" },
      unavailable: { serviceUnavailable: true, code: 14 },
    });
  });
});

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { UnsecuredJWT } from "jose";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { beforeAll, describe, expect, it } from "vitest";
import { CatalogCourseSelectorSchema, OrgCourseCodeSchema } from "../gen/learnerstate/v1/catalog_pb.js";
import { KeyFamily, KeyService } from "../gen/learnerstate/v1/key_service_pb.js";
import { Scope } from "../gen/learnerstate/v1/scope_pb.js";
import { FieldSelectionSchema } from "../gen/learnerstate/v1/user_state_pb.js";
import { auditRecords } from "./support/audit-records.js";
import { blockStructureClient, catalogClient, collect, transportTo } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";
import { bearer, mintToken, scopes, testAudience, testIssuer, testSecret } from "./support/tokens.js";

const fixture = useServer({ env: { JWT_SECRET: testSecret, JWT_ISSUER: testIssuer, JWT_AUDIENCE: testAudience } });

const orgX = unique("OrgX");
const orgY = unique("OrgY");
const courses = { X: `course-v1:${orgX}+CX+2026`, Y: `course-v1:${orgY}+CY+2026` } as const;
type CourseName = keyof typeof courses;
const orgs: Record<CourseName, string> = { X: orgX, Y: orgY };
const catalogCourseOf = (course: CourseName, courseCode = `C${course}`) =>
  create(CatalogCourseSelectorSchema, { selector: { case: "orgCourse", value: create(OrgCourseCodeSchema, { orgCode: orgs[course], courseCode }) } });
const keyOf = (course: CourseName) => blockKey(courses[course], "problem", "p1");

// The RPCs in scope user_state, then calls in other XBlock scopes (one per
// kind of RPC and kind of data), then RetireLearner, then CatalogService's,
// then BlockStructureService's (GetTransformed once per kind of view).
type Rpc =
  | "GetMany"
  | "GetModDates"
  | "GetHistory"
  | "SetMany"
  | "DeleteMany"
  | "IterAllForBlock"
  | "IterAllForCourse"
  | "WatchChanges"
  | "WatchChangesLearner"
  | "WatchChangesAll"
  | "DescribeKey"
  | "GetManyPreferences"
  | "SetManyPreferences"
  | "IterAllForBlockPreferences"
  | "GetManySummary"
  | "SetManySummary"
  | "IterAllForBlockSummary"
  | "RetireLearner"
  | "GetCatalogCourse"
  | "GetCourseRun"
  | "ListCatalogCourses"
  | "ListCourseRuns"
  | "UpdateCatalogCourse"
  | "DeleteCatalogCourse"
  | "SyncCourseRunDetails"
  | "DeleteCourseRun"
  | "CreateCourseRunForModulestoreCourse"
  | "CreateOrganization"
  | "UpdateCollected"
  | "ClearBlockStructure"
  | "GetCollected"
  | "IsUpToDate"
  | "GetTransformed"
  | "GetTransformedProgress"
  | "GetTransformedStaff"
  | "GetTransformedStaffProgress"
  | "GetTransformedGroups"
  | "GetTransformedGroupsProgress";
type Target = { readonly user: "own" | "other" | null; readonly course: CourseName };
const reads = new Set<Rpc>(["GetMany", "GetModDates", "GetHistory", "GetTransformedProgress"]);
const writes = new Set<Rpc>(["SetMany", "DeleteMany"]);
const bulkReads = new Set<Rpc>(["IterAllForBlock", "IterAllForCourse", "WatchChanges"]);
// One learner's changes in a course: a bulk read narrowed to a learner, which user:me may make for its own.
const learnerBulkReads = new Set<Rpc>(["WatchChangesLearner"]);
// Preferences: a learner's data in no course.
const unboundReads = new Set<Rpc>(["GetManyPreferences"]);
const unboundWrites = new Set<Rpc>(["SetManyPreferences"]);
const unboundBulkReads = new Set<Rpc>(["IterAllForBlockPreferences"]);
// User state summaries: no learner's data, in the block's course.
const sharedReads = new Set<Rpc>(["GetManySummary"]);
const sharedWrites = new Set<Rpc>(["SetManySummary"]);
const sharedBulkReads = new Set<Rpc>(["IterAllForBlockSummary"]);
const oneOf = (rpc: Rpc, ...sets: Array<Set<Rpc>>) => sets.some((set) => set.has(rpc));
// The catalog: reads of data shared by all learners, writes under catalog:write.
const catalogReads = new Set<Rpc>(["GetCatalogCourse", "GetCourseRun", "ListCatalogCourses", "ListCourseRuns"]);
const catalogWrites = new Set<Rpc>(["UpdateCatalogCourse", "DeleteCatalogCourse", "SyncCourseRunDetails", "DeleteCourseRun", "CreateCourseRunForModulestoreCourse", "CreateOrganization"]);
// The catalog writes that name a course run, which a course: filter can cover.
const runWrites = new Set<Rpc>(["SyncCourseRunDetails", "DeleteCourseRun", "CreateCourseRunForModulestoreCourse"]);

/**
 * One kind of caller: the token it sends, and which cells of the matrix it
 * may call, written out from the README's rules (scopes grant, filters
 * narrow), not computed by the server's policy. Tokens that fail
 * authentication have no `allows`: every call of theirs is UNAUTHENTICATED.
 */
interface Role {
  readonly name: string;
  readonly token: () => Promise<string | null>;
  readonly allows?: (rpc: Rpc, target: Target) => boolean;
}

const user = unique("me");
const other = unique("other");
const now = () => Math.floor(Date.now() / 1000);
const withUser = (claims: Record<string, unknown>) => ({ sub: "7", preferred_username: user, ...claims });
// Catalog data and key descriptions are nobody's personal data: any valid token may read them.
// Course content that needs block_structure:write: publishing, staff views,
// and views with the learner's partition groups (which only a backend may assert).
const contentCalls = new Set<Rpc>(["UpdateCollected", "ClearBlockStructure", "GetCollected", "IsUpToDate", "GetTransformedStaff", "GetTransformedGroups"]);
// Catalog data, key descriptions and a learner view of course content are nobody's personal data: any valid token may read them.
const anyTokenMay = (rpc: Rpc) => rpc === "DescribeKey" || catalogReads.has(rpc) || rpc === "GetTransformed";

const roles: Role[] = [
  { name: "no token", token: async () => null },
  { name: "bad signature", token: () => mintToken(withUser({ administrator: true }), { secret: "another-secret-that-is-not-the-servers-1234" }) },
  { name: "expired", token: () => mintToken(withUser({ administrator: true }), { expiresAt: now() - 600 }) },
  { name: "wrong issuer", token: () => mintToken(withUser({ administrator: true }), { issuer: "https://elsewhere.example/oauth2" }) },
  { name: "wrong audience", token: () => mintToken(withUser({ administrator: true }), { audience: "another-service" }) },
  {
    name: "alg none",
    token: async () =>
      new UnsecuredJWT(withUser({ administrator: true })).setIssuer(testIssuer).setAudience(testAudience).setIssuedAt().setExpirationTime(now() + 3600).encode(),
  },
  {
    // What the LMS mints for the learner's browser (the JWT cookie of the micro-frontends).
    name: "browser JWT",
    token: () => mintToken(withUser({ scopes: ["read", "write", "email", "profile"], filters: ["user:me"] })),
    allows: anyTokenMay,
  },
  {
    // Its own learner's data, and reading data shared by all learners.
    name: "read-only app",
    token: () => mintToken(withUser({ scopes: [scopes.read], filters: ["user:me"] })),
    allows: (rpc, target) => anyTokenMay(rpc) || (oneOf(rpc, reads, unboundReads) && target.user === "own") || sharedReads.has(rpc),
  },
  {
    name: "read+write app",
    token: () => mintToken(withUser({ scopes: [scopes.read, scopes.write], filters: ["user:me"] })),
    allows: (rpc, target) =>
      anyTokenMay(rpc) || (oneOf(rpc, reads, writes, unboundReads, unboundWrites) && target.user === "own") || sharedReads.has(rpc),
  },
  {
    name: "bulk reader org X",
    token: () => mintToken(withUser({ scopes: [scopes.bulkRead], filters: [`content_org:${orgX}`] })),
    allows: (rpc, target) => anyTokenMay(rpc) || (oneOf(rpc, bulkReads, sharedBulkReads, learnerBulkReads) && target.course === "X"),
  },
  {
    // Open edX org short names are case-insensitive.
    name: "bulk reader org x",
    token: () => mintToken(withUser({ scopes: [scopes.bulkRead], filters: [`content_org:${orgX.toLowerCase()}`] })),
    allows: (rpc, target) => anyTokenMay(rpc) || (oneOf(rpc, bulkReads, sharedBulkReads, learnerBulkReads) && target.course === "X"),
  },
  {
    name: "bulk reader course X",
    token: () => mintToken(withUser({ scopes: [scopes.bulkRead], filters: [`course:${courses.X}`] })),
    allows: (rpc, target) => anyTokenMay(rpc) || (oneOf(rpc, bulkReads, sharedBulkReads, learnerBulkReads) && target.course === "X"),
  },
  {
    // user:me never reaches every learner's state, but a block's summary is no learner's.
    name: "bulk reader user:me",
    token: () => mintToken(withUser({ scopes: [scopes.bulkRead], filters: ["user:me"] })),
    allows: (rpc, target) => anyTokenMay(rpc) || sharedBulkReads.has(rpc) || (learnerBulkReads.has(rpc) && target.user === "own"),
  },
  {
    name: "staff reader course X",
    token: () => mintToken(withUser({ scopes: [scopes.read], filters: [`course:${courses.X}`] })),
    allows: (rpc, target) => anyTokenMay(rpc) || (oneOf(rpc, reads, sharedReads) && target.course === "X"),
  },
  {
    name: "staff writer course X",
    token: () => mintToken(withUser({ scopes: [scopes.write], filters: [`course:${courses.X}`] })),
    allows: (rpc, target) => anyTokenMay(rpc) || (oneOf(rpc, writes, sharedWrites) && target.course === "X"),
  },
  {
    // A learner's self-service erasure: its own learner only.
    name: "eraser user:me",
    token: () => mintToken(withUser({ scopes: [scopes.erase], filters: ["user:me"] })),
    allows: (rpc, target) => anyTokenMay(rpc) || (rpc === "RetireLearner" && target.user === "own"),
  },
  {
    // Erasure spans every course, which no org filter covers.
    name: "eraser org X",
    token: () => mintToken(withUser({ scopes: [scopes.erase], filters: [`content_org:${orgX}`] })),
    allows: anyTokenMay,
  },
  {
    name: "restricted, other scopes",
    token: () => mintToken(withUser({ is_restricted: true, scopes: ["grades:read"], filters: [`content_org:${orgX}`] })),
    allows: anyTokenMay,
  },
  {
    // Scopes alone say what, not whose: a token must also carry a filter.
    name: "scopes, no filter",
    token: () => mintToken(withUser({ scopes: [scopes.read, scopes.write, scopes.bulkRead, scopes.erase] })),
    allows: anyTokenMay,
  },
  {
    // Catalog writes are not personal: the scope needs no filter.
    name: "catalog writer",
    token: () => mintToken(withUser({ scopes: [scopes.catalogWrite] })),
    allows: (rpc) => anyTokenMay(rpc) || catalogWrites.has(rpc),
  },
  {
    name: "catalog writer org X",
    token: () => mintToken(withUser({ scopes: [scopes.catalogWrite], filters: [`content_org:${orgX.toUpperCase()}`] })),
    allows: (rpc, target) => anyTokenMay(rpc) || (catalogWrites.has(rpc) && target.course === "X"),
  },
  {
    // A course filter covers a run, never a whole catalog course or organization.
    name: "catalog writer course X",
    token: () => mintToken(withUser({ scopes: [scopes.catalogWrite], filters: [`course:${courses.X}`] })),
    allows: (rpc, target) => anyTokenMay(rpc) || (runWrites.has(rpc) && target.course === "X"),
  },
  {
    // user:me confines a token to its own learner's data: it never changes shared data.
    name: "catalog writer user:me",
    token: () => mintToken(withUser({ scopes: [scopes.catalogWrite], filters: ["user:me"] })),
    allows: anyTokenMay,
  },
  {
    // Studio's publisher: course content of every course, no learner's data.
    name: "publisher",
    token: () => mintToken(withUser({ scopes: [scopes.blockStructureWrite] })),
    allows: (rpc) => anyTokenMay(rpc) || contentCalls.has(rpc),
  },
  {
    name: "publisher org X",
    token: () => mintToken(withUser({ scopes: [scopes.blockStructureWrite], filters: [`content_org:${orgX}`] })),
    allows: (rpc, target) => anyTokenMay(rpc) || (contentCalls.has(rpc) && target.course === "X"),
  },
  {
    // user:me may read shared data, never change it: block_structure:write is a scope that changes data.
    name: "publisher user:me",
    token: () => mintToken(withUser({ scopes: [scopes.blockStructureWrite], filters: ["user:me"] })),
    allows: anyTokenMay,
  },
  { name: "administrator", token: () => mintToken({ sub: "9", preferred_username: unique("lms"), administrator: true }), allows: () => true },
];

const tokens = new Map<string, string | null>();
const adminOptions = () => bearer(tokens.get("administrator")!);

/** Gives `username` state in both courses, so every allowed read finds some. */
const seed = (username: string) =>
  fixture.client.setMany({ username, updates: (["X", "Y"] as const).map((course) => ({ blockKey: keyOf(course), fields: { seed: "1" } })) }, adminOptions());

beforeAll(async () => {
  for (const role of roles) tokens.set(role.name, await role.token());
  for (const username of [user, other]) await seed(username);
  // Both courses are in the catalog, so every allowed catalog read finds them.
  for (const course of ["X", "Y"] as const) await ensureRun(course);
  // And both have a block structure, so every allowed GetTransformed finds one.
  for (const course of ["X", "Y"] as const) await publish(course, adminOptions());
});

const blockStructures = () => blockStructureClient(fixture.server.baseUrl);

/** Publishes a small course: a chapter with a scored problem and a library block. */
function publish(course: CourseName, options: { headers?: Record<string, string> }) {
  const key = (type: string, id: string) => blockKey(courses[course], type, id);
  return blockStructures().updateCollected(
    {
      rootBlockKey: key("course", "course"),
      blocks: [
        { blockKey: key("course", "course"), children: [key("chapter", "c")], fields: { start: '"2020-01-01T00:00:00Z"' } },
        { blockKey: key("chapter", "c"), children: [key("problem", "p1"), key("library_content", "lib")] },
        { blockKey: key("problem", "p1"), fields: { has_score: "true" } },
        { blockKey: key("library_content", "lib") },
      ],
      dataEditTimestamp: timestampFromDate(new Date("2026-05-01T00:00:00Z")),
    },
    options,
  );
}

/** A GetTransformed request of `course` for `username`, as staff or not, with the learner's partition groups or none. */
const transformedFor = (course: CourseName, username: string, staff: boolean, transformers: string[], userPartitionGroups: Record<number, number> = {}) => ({
  start: { case: "courseKey" as const, value: courses[course] },
  learner: { username, hasStaffAccess: staff, userPartitionGroups },
  transformers,
});

const catalog = () => catalogClient(fixture.server.baseUrl);
/** Makes sure the run of `course` exists (as the administrator), so that every allowed call on it succeeds. */
const ensureRun = (course: CourseName) => catalog().createCourseRunForModulestoreCourse({ courseKey: courses[course] }, adminOptions());
/** A catalog course of `course`'s org without runs (made by the administrator), which may be deleted. */
async function runlessCatalogCourse(course: CourseName) {
  const courseKey = `course-v1:${orgs[course]}+Spare+2026`;
  await catalog().createCourseRunForModulestoreCourse({ courseKey }, adminOptions());
  await catalog().deleteCourseRun({ courseKey }, adminOptions());
  return catalogCourseOf(course, "Spare");
}

const usernameOf = (target: Target) => (target.user === "own" ? user : other);

/** The first message of an endless stream (WatchChanges), which is then cancelled. */
async function firstMessage<T>(stream: AsyncIterable<T>): Promise<T> {
  for await (const message of stream) return message;
  throw new Error("the stream ended without a message");
}

const calls: Record<Rpc, (options: { headers?: Record<string, string> }, target: Target) => Promise<unknown>> = {
  GetMany: (options, { user: who, course }) => collect(fixture.client.getMany({ username: who === "own" ? user : other, blockKeys: [keyOf(course)] }, options)),
  GetModDates: (options, { user: who, course }) => collect(fixture.client.getModDates({ username: who === "own" ? user : other, blockKeys: [keyOf(course)] }, options)),
  GetHistory: (options, { user: who, course }) => collect(fixture.client.getHistory({ username: who === "own" ? user : other, blockKey: keyOf(course) }, options)),
  SetMany: (options, { user: who, course }) =>
    fixture.client.setMany({ username: who === "own" ? user : other, updates: [{ blockKey: keyOf(course), fields: { touched: "1" } }] }, options),
  DeleteMany: (options, { user: who, course }) =>
    fixture.client.deleteMany(
      { username: who === "own" ? user : other, blockKeys: [keyOf(course)], fieldSelection: create(FieldSelectionSchema, { fieldNames: ["never-set"] }) },
      options,
    ),
  IterAllForBlock: (options, { course }) => collect(fixture.client.iterAllForBlock({ blockKey: keyOf(course) }, options)),
  IterAllForCourse: (options, { course }) => collect(fixture.client.iterAllForCourse({ courseKey: courses[course] }, options)),
  WatchChanges: (options, { course }) => firstMessage(fixture.client.watchChanges({ courseKey: courses[course] }, options)),
  WatchChangesLearner: (options, target) => firstMessage(fixture.client.watchChanges({ courseKey: courses[target.course], username: usernameOf(target) }, options)),
  WatchChangesAll: (options) => firstMessage(fixture.client.watchChanges({}, options)),
  DescribeKey: (options, { course }) => createClient(KeyService, transportTo(fixture.server.baseUrl)).describeKey({ key: courses[course], family: KeyFamily.COURSE }, options),
  GetManyPreferences: (options, target) =>
    collect(fixture.client.getMany({ username: usernameOf(target), scope: Scope.PREFERENCES, blockKeys: [keyOf(target.course)] }, options)),
  SetManyPreferences: (options, target) =>
    fixture.client.setMany({ username: usernameOf(target), scope: Scope.PREFERENCES, updates: [{ blockKey: keyOf(target.course), fields: { touched: "1" } }] }, options),
  IterAllForBlockPreferences: (options, { course }) => collect(fixture.client.iterAllForBlock({ blockKey: keyOf(course), scope: Scope.PREFERENCES }, options)),
  GetManySummary: (options, target) =>
    collect(fixture.client.getMany({ username: usernameOf(target), scope: Scope.USER_STATE_SUMMARY, blockKeys: [keyOf(target.course)] }, options)),
  SetManySummary: (options, target) =>
    fixture.client.setMany({ username: usernameOf(target), scope: Scope.USER_STATE_SUMMARY, updates: [{ blockKey: keyOf(target.course), fields: { touched: "1" } }] }, options),
  IterAllForBlockSummary: (options, { course }) => collect(fixture.client.iterAllForBlock({ blockKey: keyOf(course), scope: Scope.USER_STATE_SUMMARY }, options)),
  // Erased learners get their state back, so the reads of later rows still find some.
  RetireLearner: async (options, target) => {
    await fixture.client.retireLearner({ username: usernameOf(target) }, options);
    await seed(usernameOf(target));
  },
  GetCatalogCourse: (options, { course }) => catalog().getCatalogCourse({ catalogCourse: catalogCourseOf(course) }, options),
  GetCourseRun: async (options, { course }) => catalog().getCourseRun({ courseKey: (await ensureRun(course)).courseRun!.courseKey }, options),
  ListCatalogCourses: (options, { course }) => catalog().listCatalogCourses({ orgCode: orgs[course] }, options),
  ListCourseRuns: (options, { course }) => catalog().listCourseRuns({ catalogCourse: catalogCourseOf(course) }, options),
  UpdateCatalogCourse: (options, { course }) => catalog().updateCatalogCourse({ catalogCourse: catalogCourseOf(course), title: "Updated" }, options),
  DeleteCatalogCourse: async (options, { course }) => catalog().deleteCatalogCourse({ catalogCourse: await runlessCatalogCourse(course) }, options),
  SyncCourseRunDetails: async (options, { course }) => catalog().syncCourseRunDetails({ courseKey: (await ensureRun(course)).courseRun!.courseKey, title: "Synced" }, options),
  DeleteCourseRun: async (options, { course }) => catalog().deleteCourseRun({ courseKey: (await ensureRun(course)).courseRun!.courseKey }, options),
  CreateCourseRunForModulestoreCourse: (options, { course }) => catalog().createCourseRunForModulestoreCourse({ courseKey: courses[course] }, options),
  CreateOrganization: (options, { course }) => catalog().createOrganization({ shortName: orgs[course] }, options),
  UpdateCollected: (options, { course }) => publish(course, options),
  // A cleared structure is published again at once, so the calls after it find it.
  ClearBlockStructure: async (options, { course }) => {
    await blockStructures().clearBlockStructure({ courseKey: courses[course] }, options);
    await publish(course, adminOptions());
  },
  GetCollected: (options, { course }) => collect(blockStructures().getCollected({ courseKey: courses[course] }, options)),
  IsUpToDate: (options, { course }) =>
    blockStructures().isUpToDate({ courseKey: courses[course], dataEditTimestamp: timestampFromDate(new Date("2026-05-01T00:00:00Z")) }, options),
  GetTransformed: (options, { course }) => collect(blockStructures().getTransformed(transformedFor(course, "", false, ["visibility", "start_date"]), options)),
  GetTransformedProgress: (options, target) =>
    collect(blockStructures().getTransformed(transformedFor(target.course, usernameOf(target), false, ["visibility", "learner_progress"]), options)),
  GetTransformedStaff: (options, { course }) => collect(blockStructures().getTransformed(transformedFor(course, "", true, ["visibility", "start_date"]), options)),
  GetTransformedStaffProgress: (options, target) =>
    collect(blockStructures().getTransformed(transformedFor(target.course, usernameOf(target), true, ["library_content"]), options)),
  GetTransformedGroups: (options, { course }) =>
    collect(blockStructures().getTransformed(transformedFor(course, "", false, ["visibility", "user_partitions"], { 50: 2 }), options)),
  GetTransformedGroupsProgress: (options, target) =>
    collect(blockStructures().getTransformed(transformedFor(target.course, usernameOf(target), false, ["user_partitions", "learner_progress"], { 50: 2 }), options)),
};
const abbreviations: Record<Rpc, string> = {
  GetMany: "GM",
  GetModDates: "MD",
  GetHistory: "GH",
  SetMany: "SM",
  DeleteMany: "DM",
  IterAllForBlock: "IB",
  IterAllForCourse: "IC",
  WatchChanges: "WC",
  WatchChangesLearner: "WL",
  WatchChangesAll: "WA",
  DescribeKey: "DK",
  GetManyPreferences: "GP",
  SetManyPreferences: "SP",
  IterAllForBlockPreferences: "BP",
  GetManySummary: "GS",
  SetManySummary: "SS",
  IterAllForBlockSummary: "BS",
  RetireLearner: "RL",
  GetCatalogCourse: "GC",
  GetCourseRun: "GR",
  ListCatalogCourses: "LC",
  ListCourseRuns: "LR",
  UpdateCatalogCourse: "UC",
  DeleteCatalogCourse: "DC",
  SyncCourseRunDetails: "SR",
  DeleteCourseRun: "DR",
  CreateCourseRunForModulestoreCourse: "CR",
  CreateOrganization: "CO",
  UpdateCollected: "PB",
  ClearBlockStructure: "CS",
  GetCollected: "CL",
  IsUpToDate: "UD",
  GetTransformed: "GT",
  GetTransformedProgress: "TP",
  GetTransformedStaff: "TS",
  GetTransformedStaffProgress: "TX",
  GetTransformedGroups: "TG",
  GetTransformedGroupsProgress: "TY",
};

function targetsOf(rpc: Rpc): Target[] {
  if (rpc === "DescribeKey" || catalogReads.has(rpc)) return [{ user: null, course: "X" }];
  // Erasure names no course: one column per learner.
  if (rpc === "RetireLearner") return [{ user: "own", course: "X" }, { user: "other", course: "X" }];
  if (rpc === "WatchChangesAll") return [{ user: null, course: "X" }];
  if (oneOf(rpc, bulkReads, unboundBulkReads, sharedBulkReads, catalogWrites, contentCalls) || rpc === "GetTransformed") return [{ user: null, course: "X" }, { user: null, course: "Y" }];
  return (["own", "other"] as const).flatMap((who) => (["X", "Y"] as const).map((course) => ({ user: who, course })));
}

function expected(role: Role, rpc: Rpc, target: Target): string {
  if (role.allows === undefined) return "Unauthenticated";
  return role.allows(rpc, target) ? "OK" : "PermissionDenied";
}

describe("authorization", () => {
  it("gives every token exactly the access the README states, for every RPC, learner and course", async () => {
    const columns = (Object.keys(calls) as Rpc[]).flatMap((rpc) => targetsOf(rpc).map((target) => ({ rpc, target })));
    const rows: string[] = [];
    const mismatches: string[] = [];
    for (const role of roles) {
      const cells: string[] = [];
      for (const { rpc, target } of columns) {
        const code = await calls[rpc](bearer(tokens.get(role.name)!), target).then(
          () => "OK",
          (error: unknown) => Code[ConnectError.from(error).code],
        );
        const want = expected(role, rpc, target);
        cells.push(code === want ? code.replace("PermissionDenied", "DENIED").replace("Unauthenticated", "UNAUTH") : `${code}!=${want}`);
        if (code !== want) mismatches.push(`${role.name} ${rpc} ${JSON.stringify(target)}: got ${code}, want ${want}`);
      }
      rows.push(`${role.name.padEnd(24)} ${cells.map((cell) => cell.padEnd(6)).join(" ")}`);
    }
    const header = `${"".padEnd(24)} ${columns
      .map(({ rpc, target }) => `${abbreviations[rpc]}${target.user === null ? "" : target.user === "own" ? "o" : "t"}${target.course}`.padEnd(6))
      .join(" ")}`;
    const legend = (Object.entries(abbreviations) as Array<[Rpc, string]>).map(([rpc, short]) => `${short}=${rpc}`).join(" ");
    console.log(`authorization matrix (columns: RPC, o=own/t=other learner, course X or Y; ${legend})\n${header}\n${rows.join("\n")}`);
    expect(mismatches).toEqual([]);
  });

  it("audits each denial and each access to other learners' state with the scope and filters that decided it", async () => {
    // Each call has a request id of its own, by which its audit record is found
    // once the server's log line has come through the pipe.
    const staff = (requestId: string) => ({ headers: { ...bearer(tokens.get("staff reader course X")!).headers, "x-request-id": requestId } });
    const [allowedId, deniedId] = [unique("allowed"), unique("denied")];
    await collect(fixture.client.getMany({ username: other, blockKeys: [keyOf("X")] }, staff(allowedId)));
    await expect(collect(fixture.client.getMany({ username: other, blockKeys: [keyOf("Y")] }, staff(deniedId)))).rejects.toThrow(ConnectError);
    const auditOf = (requestId: string) => auditRecords(fixture.server).find((record) => record["requestId"] === requestId);
    await expect.poll(() => auditOf(allowedId)).toBeDefined();
    await expect.poll(() => auditOf(deniedId)).toBeDefined();
    const [allowed, denied] = [auditOf(allowedId), auditOf(deniedId)];
    expect(allowed).toMatchObject({ audit: "other-learners-data", learner: other, courses: [courses.X] });
    expect(denied).toMatchObject({ audit: "denied", learner: other, courses: [courses.Y] });
    expect(allowed).toMatchObject({ operation: "GetMany", decidedByScope: scopes.read, decidedByFilters: [`course:${courses.X}`] });
    expect(allowed).toMatchObject({ username: user, scopes: [scopes.read], filters: [`course:${courses.X}`] });
    expect(denied).toMatchObject({ operation: "GetMany", decidedByScope: scopes.read, decidedByFilters: [`course:${courses.X}`] });
    expect(String(denied?.["reason"])).toContain(courses.Y);
  });
});

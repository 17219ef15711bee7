import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { UnsecuredJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { BlockStructureService } from "../gen/learnerstate/v1/block_structure_service_pb.js";
import { KeyFamily, KeyService } from "../gen/learnerstate/v1/key_service_pb.js";
import { FieldSelectionSchema } from "../gen/learnerstate/v1/user_state_pb.js";
import { collect, transportTo } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";
import { bearer, mintToken, scopes, testAudience, testIssuer, testSecret } from "./support/tokens.js";

const fixture = useServer({ env: { JWT_SECRET: testSecret, JWT_ISSUER: testIssuer, JWT_AUDIENCE: testAudience } });

const orgX = unique("OrgX");
const orgY = unique("OrgY");
const courses = { X: `course-v1:${orgX}+CX+2026`, Y: `course-v1:${orgY}+CY+2026` } as const;
type CourseName = keyof typeof courses;
const keyOf = (course: CourseName) => blockKey(courses[course], "problem", "p1");

type Rpc =
  | "GetMany"
  | "GetModDates"
  | "GetHistory"
  | "SetMany"
  | "DeleteMany"
  | "IterAllForBlock"
  | "IterAllForCourse"
  | "DescribeKey"
  | "UpdateCollected"
  | "ClearBlockStructure"
  | "GetCollected"
  | "IsUpToDate"
  | "GetTransformed"
  | "GetTransformedProgress"
  | "GetTransformedStaff"
  | "GetTransformedStaffProgress";
type Target = { readonly user: "own" | "other" | null; readonly course: CourseName };
const reads = new Set<Rpc>(["GetMany", "GetModDates", "GetHistory", "GetTransformedProgress"]);
const writes = new Set<Rpc>(["SetMany", "DeleteMany"]);
const bulkReads = new Set<Rpc>(["IterAllForBlock", "IterAllForCourse"]);
/** Calls about course content that need block_structure:write: publishing, and staff views. */
const contentCalls = new Set<Rpc>(["UpdateCollected", "ClearBlockStructure", "GetCollected", "IsUpToDate", "GetTransformedStaff"]);
/** Calls any valid token may make. */
const anyToken = (rpc: Rpc) => rpc === "DescribeKey" || rpc === "GetTransformed";

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
    allows: anyToken,
  },
  {
    name: "read-only app",
    token: () => mintToken(withUser({ scopes: [scopes.read], filters: ["user:me"] })),
    allows: (rpc, target) => anyToken(rpc) || (reads.has(rpc) && target.user === "own"),
  },
  {
    name: "read+write app",
    token: () => mintToken(withUser({ scopes: [scopes.read, scopes.write], filters: ["user:me"] })),
    allows: (rpc, target) => anyToken(rpc) || ((reads.has(rpc) || writes.has(rpc)) && target.user === "own"),
  },
  {
    name: "bulk reader org X",
    token: () => mintToken(withUser({ scopes: [scopes.bulkRead], filters: [`content_org:${orgX}`] })),
    allows: (rpc, target) => anyToken(rpc) || (bulkReads.has(rpc) && target.course === "X"),
  },
  {
    // Open edX org short names are case-insensitive.
    name: "bulk reader org x",
    token: () => mintToken(withUser({ scopes: [scopes.bulkRead], filters: [`content_org:${orgX.toLowerCase()}`] })),
    allows: (rpc, target) => anyToken(rpc) || (bulkReads.has(rpc) && target.course === "X"),
  },
  {
    name: "bulk reader course X",
    token: () => mintToken(withUser({ scopes: [scopes.bulkRead], filters: [`course:${courses.X}`] })),
    allows: (rpc, target) => anyToken(rpc) || (bulkReads.has(rpc) && target.course === "X"),
  },
  {
    name: "staff reader course X",
    token: () => mintToken(withUser({ scopes: [scopes.read], filters: [`course:${courses.X}`] })),
    allows: (rpc, target) => anyToken(rpc) || (reads.has(rpc) && target.course === "X"),
  },
  {
    name: "restricted, other scopes",
    token: () => mintToken(withUser({ is_restricted: true, scopes: ["grades:read"], filters: [`content_org:${orgX}`] })),
    allows: anyToken,
  },
  {
    // Scopes alone say what, not whose: a token must also carry a filter.
    name: "scopes, no filter",
    token: () => mintToken(withUser({ scopes: [scopes.read, scopes.write, scopes.bulkRead] })),
    allows: anyToken,
  },
  {
    // Studio's publisher: course content of every course, no learner's data.
    name: "publisher",
    token: () => mintToken(withUser({ scopes: [scopes.blockStructureWrite] })),
    allows: (rpc) => anyToken(rpc) || contentCalls.has(rpc),
  },
  {
    name: "publisher org X",
    token: () => mintToken(withUser({ scopes: [scopes.blockStructureWrite], filters: [`content_org:${orgX}`] })),
    allows: (rpc, target) => anyToken(rpc) || (contentCalls.has(rpc) && target.course === "X"),
  },
  {
    // user:me may read shared data, never change it: block_structure:write is a scope that changes data.
    name: "publisher user:me",
    token: () => mintToken(withUser({ scopes: [scopes.blockStructureWrite], filters: ["user:me"] })),
    allows: anyToken,
  },
  { name: "administrator", token: () => mintToken({ sub: "9", preferred_username: unique("lms"), administrator: true }), allows: () => true },
];

const tokens = new Map<string, string | null>();
const adminOptions = () => bearer(tokens.get("administrator")!);

/** A small course: a chapter with a problem and a library block. */
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
const blockStructures = () => createClient(BlockStructureService, transportTo(fixture.server.baseUrl));
const transformedFor = (course: CourseName, username: string, staff: boolean, transformers: string[]) => ({
  start: { case: "courseKey" as const, value: courses[course] },
  learner: { username, hasStaffAccess: staff },
  transformers,
});

beforeAll(async () => {
  for (const role of roles) tokens.set(role.name, await role.token());
  for (const course of ["X", "Y"] as const) await publish(course, adminOptions());
  // Both learners have state in both courses, so every allowed read finds some.
  for (const username of [user, other]) {
    await fixture.client.setMany({ username, updates: (["X", "Y"] as const).map((course) => ({ blockKey: keyOf(course), fields: { seed: "1" } })) }, adminOptions());
  }
});

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
  DescribeKey: (options, { course }) => createClient(KeyService, transportTo(fixture.server.baseUrl)).describeKey({ key: courses[course], family: KeyFamily.COURSE }, options),
  UpdateCollected: (options, { course }) => publish(course, options),
  // A successful clear is undone at once, so that the calls after it find the structure.
  ClearBlockStructure: async (options, { course }) => {
    await blockStructures().clearBlockStructure({ courseKey: courses[course] }, options);
    await publish(course, adminOptions());
  },
  GetCollected: (options, { course }) => collect(blockStructures().getCollected({ courseKey: courses[course] }, options)),
  IsUpToDate: (options, { course }) =>
    blockStructures().isUpToDate({ courseKey: courses[course], dataEditTimestamp: timestampFromDate(new Date("2026-05-01T00:00:00Z")) }, options),
  GetTransformed: (options, { course }) => collect(blockStructures().getTransformed(transformedFor(course, "", false, ["visibility", "start_date"]), options)),
  GetTransformedProgress: (options, { user: who, course }) =>
    collect(blockStructures().getTransformed(transformedFor(course, who === "own" ? user : other, false, ["visibility", "learner_progress"]), options)),
  GetTransformedStaff: (options, { course }) => collect(blockStructures().getTransformed(transformedFor(course, "", true, ["visibility", "start_date"]), options)),
  GetTransformedStaffProgress: (options, { user: who, course }) =>
    collect(blockStructures().getTransformed(transformedFor(course, who === "own" ? user : other, true, ["library_content"]), options)),
};
const abbreviations: Record<Rpc, string> = {
  GetMany: "GM",
  GetModDates: "MD",
  GetHistory: "GH",
  SetMany: "SM",
  DeleteMany: "DM",
  IterAllForBlock: "IB",
  IterAllForCourse: "IC",
  DescribeKey: "DK",
  UpdateCollected: "UC",
  ClearBlockStructure: "CB",
  GetCollected: "GC",
  IsUpToDate: "UD",
  GetTransformed: "GT",
  GetTransformedProgress: "GP",
  GetTransformedStaff: "GS",
  GetTransformedStaffProgress: "SP",
};

function targetsOf(rpc: Rpc): Target[] {
  if (rpc === "DescribeKey") return [{ user: null, course: "X" }];
  if (bulkReads.has(rpc) || contentCalls.has(rpc) || rpc === "GetTransformed") return [{ user: null, course: "X" }, { user: null, course: "Y" }];
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
    const staff = bearer(tokens.get("staff reader course X")!);
    await collect(fixture.client.getMany({ username: other, blockKeys: [keyOf("X")] }, staff));
    await expect(collect(fixture.client.getMany({ username: other, blockKeys: [keyOf("Y")] }, staff))).rejects.toThrow(ConnectError);
    const audits = fixture.server.output
      .map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          return null;
        }
      })
      .filter((record): record is Record<string, unknown> => record !== null && record["channel"] === "audit" && record["learner"] === other);
    const allowed = audits.findLast((record) => record["audit"] === "other-learners-data" && JSON.stringify(record["courses"]) === JSON.stringify([courses.X]));
    const denied = audits.findLast((record) => record["audit"] === "denied" && JSON.stringify(record["courses"]) === JSON.stringify([courses.Y]));
    expect(allowed).toMatchObject({ operation: "GetMany", decidedByScope: scopes.read, decidedByFilters: [`course:${courses.X}`] });
    expect(allowed).toMatchObject({ username: user, scopes: [scopes.read], filters: [`course:${courses.X}`] });
    expect(denied).toMatchObject({ operation: "GetMany", decidedByScope: scopes.read, decidedByFilters: [`course:${courses.X}`] });
    expect(String(denied?.["reason"])).toContain(courses.Y);
  });
});

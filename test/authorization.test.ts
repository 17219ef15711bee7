import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { KeyFamily, KeyService } from "../gen/learnerstate/v1/key_service_pb.js";
import { FieldSelectionSchema } from "../gen/learnerstate/v1/user_state_pb.js";
import { collect, transportTo } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";
import { bearer, mintToken, testAudience, testIssuer, testSecret } from "./support/tokens.js";

const fixture = useServer({ env: { JWT_SECRET: testSecret, JWT_ISSUER: testIssuer, JWT_AUDIENCE: testAudience } });

const orgX = unique("OrgX");
const orgY = unique("OrgY");
const courses = { X: `course-v1:${orgX}+CX+2026`, Y: `course-v1:${orgY}+CY+2026` } as const;
type CourseName = keyof typeof courses;
const users = { A: unique("alice"), B: unique("bob"), staffX: unique("staffx"), staffY: unique("staffy"), admin: unique("admin") };
const keyOf = (course: CourseName) => blockKey(courses[course], "problem", "p1");

type Role = "none" | "bad signature" | "expired" | "learner A" | "learner B" | "staff of course X" | "staff of org Y" | "administrator";
const roles: Role[] = ["none", "bad signature", "expired", "learner A", "learner B", "staff of course X", "staff of org Y", "administrator"];
const tokens = new Map<Role, string | null>();
/** The username each role calls "own". */
const ownUser: Record<Role, string> = {
  none: users.A,
  "bad signature": users.A,
  expired: users.A,
  "learner A": users.A,
  "learner B": users.B,
  "staff of course X": users.staffX,
  "staff of org Y": users.staffY,
  administrator: users.admin,
};
const otherUser = (role: Role) => (role === "learner B" ? users.A : users.B);

beforeAll(async () => {
  const now = Math.floor(Date.now() / 1000);
  tokens.set("none", null);
  tokens.set("bad signature", await mintToken({ preferred_username: users.A }, { secret: "another-secret-that-is-not-the-servers-1234" }));
  tokens.set("expired", await mintToken({ preferred_username: users.A }, { expiresAt: now - 600 }));
  tokens.set("learner A", await mintToken({ sub: "1", preferred_username: users.A, filters: ["user:me"] }));
  tokens.set("learner B", await mintToken({ sub: "2", preferred_username: users.B, filters: ["user:me"] }));
  tokens.set("staff of course X", await mintToken({ sub: "3", preferred_username: users.staffX, filters: [`course:${courses.X}`] }));
  tokens.set("staff of org Y", await mintToken({ sub: "4", preferred_username: users.staffY, filters: [`content_org:${orgY}`] }));
  tokens.set("administrator", await mintToken({ sub: "5", preferred_username: users.admin, administrator: true }));
  // Every user has state in both courses, so reads of it succeed when allowed.
  const admin = bearer(tokens.get("administrator")!);
  for (const username of Object.values(users)) {
    await fixture.client.setMany({ username, updates: (["X", "Y"] as const).map((course) => ({ blockKey: keyOf(course), fields: { seed: "1" } })) }, admin);
  }
});

type Target = { user: "own" | "other" | null; course: CourseName };
const calls: Record<string, (role: Role, target: Target) => Promise<unknown>> = {
  GetMany: (role, { user, course }) =>
    collect(fixture.client.getMany({ username: user === "own" ? ownUser[role] : otherUser(role), blockKeys: [keyOf(course)] }, bearer(tokens.get(role)!))),
  SetMany: (role, { user, course }) =>
    fixture.client.setMany({ username: user === "own" ? ownUser[role] : otherUser(role), updates: [{ blockKey: keyOf(course), fields: { touched: "1" } }] }, bearer(tokens.get(role)!)),
  DeleteMany: (role, { user, course }) =>
    fixture.client.deleteMany(
      { username: user === "own" ? ownUser[role] : otherUser(role), blockKeys: [keyOf(course)], fieldSelection: create(FieldSelectionSchema, { fieldNames: ["never-set"] }) },
      bearer(tokens.get(role)!),
    ),
  GetModDates: (role, { user, course }) =>
    collect(fixture.client.getModDates({ username: user === "own" ? ownUser[role] : otherUser(role), blockKeys: [keyOf(course)] }, bearer(tokens.get(role)!))),
  GetHistory: (role, { user, course }) =>
    collect(fixture.client.getHistory({ username: user === "own" ? ownUser[role] : otherUser(role), blockKey: keyOf(course) }, bearer(tokens.get(role)!))),
  IterAllForBlock: (role, { course }) => collect(fixture.client.iterAllForBlock({ blockKey: keyOf(course) }, bearer(tokens.get(role)!))),
  IterAllForCourse: (role, { course }) => collect(fixture.client.iterAllForCourse({ courseKey: courses[course] }, bearer(tokens.get(role)!))),
  DescribeKey: (role, { course }) =>
    createClient(KeyService, transportTo(fixture.server.baseUrl)).describeKey({ key: courses[course], family: KeyFamily.COURSE }, bearer(tokens.get(role)!)),
};
const abbreviations: Record<string, string> = {
  GetMany: "GM",
  SetMany: "SM",
  DeleteMany: "DM",
  GetModDates: "MD",
  GetHistory: "GH",
  IterAllForBlock: "IB",
  IterAllForCourse: "IC",
  DescribeKey: "DK",
};
const writes = new Set(["SetMany", "DeleteMany"]);
const perLearner = new Set(["GetMany", "SetMany", "DeleteMany", "GetModDates", "GetHistory"]);

/** The code each call must get, written out from the rules in the README, not computed by the server's policy. */
function expected(role: Role, rpc: string, target: Target): string {
  if (role === "none" || role === "bad signature" || role === "expired") return "Unauthenticated";
  if (role === "administrator" || rpc === "DescribeKey") return "OK";
  const staffCourse: CourseName | null = role === "staff of course X" ? "X" : role === "staff of org Y" ? "Y" : null;
  if (perLearner.has(rpc)) {
    if (target.user === "own") return "OK";
    if (writes.has(rpc)) return "PermissionDenied";
    return staffCourse === target.course ? "OK" : "PermissionDenied";
  }
  return staffCourse === target.course ? "OK" : "PermissionDenied";
}

describe("authorization", () => {
  it("gives every role exactly the access the policy states, for every RPC, user and course", async () => {
    const targets = (rpc: string): Target[] =>
      perLearner.has(rpc)
        ? [
            { user: "own", course: "X" },
            { user: "own", course: "Y" },
            { user: "other", course: "X" },
            { user: "other", course: "Y" },
          ]
        : [
            { user: null, course: "X" },
            { user: null, course: "Y" },
          ];
    const columns = Object.keys(calls).flatMap((rpc) => targets(rpc).map((target) => ({ rpc, target })));
    const rows: string[] = [];
    const mismatches: string[] = [];
    for (const role of roles) {
      const cells: string[] = [];
      for (const { rpc, target } of columns) {
        const code = await calls[rpc]!(role, target).then(
          () => "OK",
          (error: unknown) => Code[ConnectError.from(error).code],
        );
        const want = expected(role, rpc, target);
        cells.push(code === want ? code.replace("PermissionDenied", "DENIED").replace("Unauthenticated", "UNAUTH") : `${code}!=${want}`);
        if (code !== want) mismatches.push(`${role} ${rpc} ${JSON.stringify(target)}: got ${code}, want ${want}`);
      }
      rows.push(`${role.padEnd(18)} ${cells.map((cell) => cell.padEnd(7)).join(" ")}`);
    }
    const header = `${"".padEnd(18)} ${columns.map(({ rpc, target }) => `${abbreviations[rpc]}.${target.user === null ? "" : target.user === "own" ? "own" : "oth"}${target.course}`.padEnd(7)).join(" ")}`;
    const legend = Object.entries(abbreviations).map(([rpc, short]) => `${short}=${rpc}`).join(" ");
    console.log(`authorization matrix (columns: RPC.user+course; ${legend})\n${header}\n${rows.join("\n")}`);
    expect(mismatches).toEqual([]);
  });
});

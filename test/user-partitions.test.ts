// The user_partitions transformer over the network: a cohorted course with
// enrollment-track (verified-only) content, content groups, an experiment
// (split_test), a block whose parents differ in group access, an inactive
// partition and one the course does not declare; each view is checked
// against the expected blocks computed below from the course's outline and
// the contract's rules, and the notable blocks by hand.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { beforeAll, describe, expect, it } from "vitest";
import { createLearnerStateServices, type LearnerStateServices } from "../src/client/index.js";
import { collect } from "./support/clients.js";
import { blockInputsOfOutline, outline, parentsIn, reachableWithin, type CourseOutline } from "./support/course-outline.js";
import { blockKey, unique, useServer } from "./support/fixture.js";

const fixture = useServer();
// Through the TypeScript client package, as the LMS's Node callers would.
let client: LearnerStateServices["blockStructures"];

const courseKey = `course-v1:${unique("Org")}+Cohorts+2026`;
const keyOf = (name: string) => blockKey(courseKey, name.split(".")[0]!, name.split(".")[1]!);
const nameOfKey = (key: string) => key.replace(/^.*\+type@([^+]+)\+block@(.+)$/u, "$1.$2");

const enrollmentTrack = 50;
const [audit, verified] = [1, 2];
const contentGroups = 1001;
const [red, blue] = [11, 12];
const experiment = 1002;
const inactiveCohorts = 1003;

const course: CourseOutline = outline({
  "course.root": {
    children: ["chapter.intro", "chapter.verified", "chapter.red", "chapter.blue", "chapter.lab"],
    fields: {
      user_partitions: [
        { id: enrollmentTrack, name: "Enrollment Track Groups", scheme: "enrollment_track", groups: [{ id: audit, name: "Audit" }, { id: verified, name: "Verified" }] },
        { id: contentGroups, name: "Content Groups", scheme: "cohort", active: true, groups: [{ id: red, name: "Red" }, { id: blue, name: "Blue" }] },
        { id: experiment, name: "A/B", scheme: "random", groups: [{ id: 0, name: "A" }, { id: 1, name: "B" }] },
        { id: inactiveCohorts, name: "Old groups", scheme: "cohort", active: false, groups: [{ id: 21, name: "Gone" }] },
      ],
    },
  },
  "chapter.intro": { children: ["sequential.s1"] },
  "sequential.s1": {
    children: ["vertical.open", "vertical.verified", "vertical.red", "vertical.blue", "vertical.verifiedred", "vertical.inactive", "vertical.undeclared", "vertical.unrestricted"],
  },
  "vertical.open": { children: ["problem.p1"] },
  "vertical.verified": { children: ["problem.pv"], fields: { group_access: { [enrollmentTrack]: [verified] } } },
  "vertical.red": { children: ["html.red"], fields: { group_access: { [contentGroups]: [red] } } },
  "vertical.blue": { children: ["html.blue"], fields: { group_access: { [contentGroups]: [blue] } } },
  // Restricted in two partitions: the learner must be allowed in both.
  "vertical.verifiedred": { fields: { group_access: { [enrollmentTrack]: [verified], [contentGroups]: [red] } } },
  // Partitions that are inactive, or not declared, restrict nothing.
  "vertical.inactive": { fields: { group_access: { [inactiveCohorts]: [21] } } },
  "vertical.undeclared": { fields: { group_access: { "9999": [1] } } },
  // null and [] are no restriction.
  "vertical.unrestricted": { fields: { group_access: { [contentGroups]: null, [enrollmentTrack]: [] } } },
  "chapter.verified": { children: ["sequential.vs"], fields: { group_access: { [enrollmentTrack]: [verified] } } },
  "sequential.vs": { children: ["vertical.twoways", "vertical.sameway"] },
  "chapter.red": { children: ["sequential.rs"], fields: { group_access: { [contentGroups]: [red] } } },
  "sequential.rs": { children: ["vertical.twoways", "vertical.redblue", "vertical.blueonly"] },
  "chapter.blue": { children: ["sequential.bs"], fields: { group_access: { [contentGroups]: [blue] } } },
  "sequential.bs": { children: ["vertical.redblue", "vertical.blueonly", "vertical.sameway"] },
  // Under the verified chapter and the red chapter: restricted by different
  // partitions through each parent, so by neither (each parent leaves one
  // partition open).
  "vertical.twoways": {},
  // Under the red and the blue chapters: red or blue.
  "vertical.redblue": {},
  // Under the red and the blue chapters, but itself blue only.
  "vertical.blueonly": { fields: { group_access: { [contentGroups]: [blue] } } },
  // Under the verified chapter and the blue chapter.
  "vertical.sameway": {},
  "chapter.lab": { children: ["split_test.ab"] },
  "split_test.ab": {
    children: ["vertical.arma", "vertical.armb", "vertical.control"],
    fields: { user_partition_id: experiment, group_id_to_child: { "0": keyOf("vertical.arma"), "1": keyOf("vertical.armb") } },
  },
  "vertical.arma": {},
  "vertical.armb": {},
  // No group maps to it: every learner sees it.
  "vertical.control": {},
  "problem.p1": {},
  "problem.pv": {},
  "html.red": {},
  "html.blue": {},
});

/** Who views the course: staff or not, and their group in each partition. */
interface PartitionView {
  readonly staff: boolean;
  readonly groups: Readonly<Record<number, number>>;
}

/**
 * The blocks `view` must get, from the outline and the contract's rules: the
 * groups a block allows in a partition are its own list (none, null or []:
 * every group) intersected with the union of what its parents allow (any
 * parent allowing every group: every group); only active, declared
 * partitions count; a split_test's child is in the group that maps to it
 * (none: every group). A block is shown when, in each partition that
 * restricts it, the viewer's group is allowed, and a path of shown blocks
 * leads to it. Staff see everything.
 */
function expectedBlocks(view: PartitionView): Set<string> {
  const declared = course.fields[course.root]!["user_partitions"] as Array<{ id: number; active?: boolean; groups: Array<{ id: number }> }>;
  const active = declared.filter((partition) => partition.active !== false).map((partition) => partition.id);
  const parents = parentsIn(course);
  const ownList = (name: string, partition: number): number[] => {
    const parent = parents.get(name)!.find((candidate) => candidate.startsWith("split_test.") && course.fields[candidate]!["user_partition_id"] === partition);
    if (parent !== undefined) {
      const mapping = course.fields[parent]!["group_id_to_child"] as Record<string, string>;
      const group = Object.entries(mapping).find(([, child]) => child === keyOf(name))?.[0];
      return group === undefined ? [] : [Number(group)];
    }
    return ((course.fields[name]!["group_access"] as Record<string, number[] | null> | undefined)?.[String(partition)] ?? []) as number[];
  };
  const allowed = (name: string, partition: number): Set<number> | "every" => {
    const own = ownList(name, partition);
    const ofParents = parents.get(name)!.map((parent) => allowed(parent, partition));
    const throughParents = ofParents.length === 0 || ofParents.includes("every") ? "every" : new Set(ofParents.flatMap((groups) => [...(groups as Set<number>)]));
    if (own.length === 0) return throughParents;
    return throughParents === "every" ? new Set(own) : new Set(own.filter((group) => throughParents.has(group)));
  };
  const visible = (name: string) =>
    view.staff ||
    active.every((partition) => {
      const groups = allowed(name, partition);
      return groups === "every" || (view.groups[partition] !== undefined && groups.has(view.groups[partition]!));
    });
  return reachableWithin(course.root, (name) => course.children[name]!, new Set(course.names.filter(visible)));
}

async function shown(view: PartitionView, transformers = ["user_partitions"]): Promise<string[]> {
  const messages = await collect(
    client.getTransformed({
      start: { case: "courseKey", value: courseKey },
      learner: { username: "", hasStaffAccess: view.staff, userPartitionGroups: view.groups },
      transformers,
    }),
  );
  return messages.flatMap((message) => message.blocks.map((block) => nameOfKey(block.blockKey)));
}

async function expectView(view: PartitionView): Promise<Set<string>> {
  const names = await shown(view);
  const expected = expectedBlocks(view);
  expect(new Set(names).size, "each block once").toBe(names.length);
  expect([...names].sort()).toEqual([...expected].sort());
  return expected;
}

beforeAll(async () => {
  client = createLearnerStateServices({ target: fixture.server.baseUrl }).blockStructures;
  await client.updateCollected({
    rootBlockKey: keyOf(course.root),
    blocks: blockInputsOfOutline(course, keyOf),
    dataEditTimestamp: timestampFromDate(new Date("2026-05-01T12:00:00Z")),
  });
});

describe("user_partitions", () => {
  it("hides verified-only content from an audit learner and shows it to a verified one (enrollment tracks)", async () => {
    const auditView = await expectView({ staff: false, groups: { [enrollmentTrack]: audit } });
    const verifiedView = await expectView({ staff: false, groups: { [enrollmentTrack]: verified } });
    for (const name of ["vertical.verified", "problem.pv", "chapter.verified", "sequential.vs", "vertical.verifiedred"]) expect(auditView.has(name), name).toBe(false);
    for (const name of ["vertical.verified", "problem.pv", "chapter.verified", "sequential.vs"]) expect(verifiedView.has(name), name).toBe(true);
    // Verified but in no content group: the verified-and-red unit stays hidden.
    expect(verifiedView.has("vertical.verifiedred")).toBe(false);
  });

  it("shows each cohort its content group's blocks (content groups)", async () => {
    const redView = await expectView({ staff: false, groups: { [enrollmentTrack]: verified, [contentGroups]: red } });
    const blueView = await expectView({ staff: false, groups: { [enrollmentTrack]: audit, [contentGroups]: blue } });
    expect(["vertical.red", "html.red", "chapter.red", "vertical.verifiedred"].every((name) => redView.has(name))).toBe(true);
    expect(["vertical.blue", "html.blue", "chapter.blue"].some((name) => redView.has(name))).toBe(false);
    expect(["vertical.blue", "html.blue", "chapter.blue"].every((name) => blueView.has(name))).toBe(true);
    expect(["vertical.red", "html.red", "chapter.red", "vertical.verifiedred"].some((name) => blueView.has(name))).toBe(false);
  });

  it("merges a block's group access over its parents: a union per partition, intersected with its own", async () => {
    const noGroups = await expectView({ staff: false, groups: {} });
    const red_ = await expectView({ staff: false, groups: { [contentGroups]: red } });
    const blue_ = await expectView({ staff: false, groups: { [contentGroups]: blue } });
    const verifiedBlue = await expectView({ staff: false, groups: { [enrollmentTrack]: verified, [contentGroups]: blue } });
    // twoways: each parent restricts a different partition, so neither restricts it;
    // shown to whoever reaches a parent (red through the red chapter).
    expect(red_.has("vertical.twoways")).toBe(true);
    expect(noGroups.has("vertical.twoways")).toBe(false);
    // redblue: red or blue; blueonly: blue even under the red chapter.
    expect([red_.has("vertical.redblue"), blue_.has("vertical.redblue")]).toEqual([true, true]);
    expect([red_.has("vertical.blueonly"), blue_.has("vertical.blueonly")]).toEqual([false, true]);
    // sameway: verified through one parent, blue through the other.
    expect(verifiedBlue.has("vertical.sameway")).toBe(true);
    expect(blue_.has("vertical.sameway")).toBe(true);
    expect(red_.has("vertical.sameway")).toBe(false);
  });

  it("ignores inactive partitions and partitions the course does not declare, and treats null and [] as no restriction", async () => {
    const noGroups = await expectView({ staff: false, groups: {} });
    for (const name of ["vertical.inactive", "vertical.undeclared", "vertical.unrestricted", "vertical.open", "problem.p1"]) expect(noGroups.has(name), name).toBe(true);
    // A group in the inactive partition opens nothing.
    await expectView({ staff: false, groups: { [inactiveCohorts]: 21 } });
  });

  it("shows each experiment group its arm of a split test, and everyone the arm no group maps to", async () => {
    const armA = await expectView({ staff: false, groups: { [experiment]: 0 } });
    const armB = await expectView({ staff: false, groups: { [experiment]: 1 } });
    const none = await expectView({ staff: false, groups: {} });
    expect([armA.has("vertical.arma"), armA.has("vertical.armb"), armA.has("vertical.control")]).toEqual([true, false, true]);
    expect([armB.has("vertical.arma"), armB.has("vertical.armb"), armB.has("vertical.control")]).toEqual([false, true, true]);
    expect([none.has("vertical.arma"), none.has("vertical.armb"), none.has("vertical.control")]).toEqual([false, false, true]);
  });

  it("shows staff every block, whatever their groups", async () => {
    const staff = await expectView({ staff: true, groups: {} });
    expect(staff.size).toBe(course.names.length);
    expect(new Set(await shown({ staff: true, groups: { [enrollmentTrack]: audit } })).size).toBe(course.names.length);
  });

  it("combines with the other filters per block, in any order", async () => {
    const view = { staff: false, groups: { [enrollmentTrack]: verified, [contentGroups]: red } };
    const alone = await shown(view);
    const withVisibility = await shown(view, ["visibility", "user_partitions"]);
    expect(await shown(view, ["user_partitions", "visibility"])).toEqual(withVisibility);
    // Nothing here is staff-only, so visibility removes nothing more.
    expect(withVisibility).toEqual(alone);
  });
});

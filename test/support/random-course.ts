// Random DAG courses and learners for the block filter tests, in the domain
// (src/domain/block-structure) and over the network (test/block-filters):
// staff-only, start, due and hide-after-due settings, self-paced courses,
// library selections, user partitions with group access and split tests.
import fc from "fast-check";
import type { CourseOutline } from "./course-outline.js";

/** The block filters the service registers. */
export const filterNames = ["visibility", "start_date", "hidden_content", "library_content", "user_partitions"] as const;

const blockTypes = ["chapter", "sequential", "vertical", "problem", "html", "library_content", "split_test"] as const;
const dates = ["2026-01-01T00:00:00Z", "2026-05-01T00:00:00Z", "2026-07-01T00:00:00Z", "2031-01-01T00:00:00Z"];
/** Times views are evaluated at: before, between and after the dates above. */
export const viewTimes = [Date.UTC(2026, 3, 1), Date.UTC(2026, 5, 1), Date.UTC(2026, 8, 1)];

/** One generated block: its type, the earlier blocks it is a child of, and its XBlock fields as JSON values. */
export interface RandomBlock {
  readonly type: (typeof blockTypes)[number];
  readonly parents: readonly number[];
  readonly fields: Readonly<Record<string, unknown>>;
}

// Each set on one block in four: most blocks pass most filters, so that
// removals meet blocks that other paths still show.
const optionalField = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 4 });
const groupList = fc.oneof(fc.constant(null), fc.subarray([0, 1, 2]));
const blockFields = fc.record(
  {
    visible_to_staff_only: optionalField(fc.boolean()),
    start: optionalField(fc.constantFrom(...dates)),
    due: optionalField(fc.constantFrom(...dates)),
    hide_after_due: optionalField(fc.boolean()),
    // 7 is a partition the course does not declare.
    group_access: optionalField(fc.dictionary(fc.constantFrom("50", "100", "7"), groupList, { maxKeys: 2 })),
    max_count: optionalField(fc.constantFrom(-1, 1, 2)),
    user_partition_id: optionalField(fc.constantFrom(100, 7)),
  },
  { requiredKeys: [] },
);
const partitions = fc.tuple(fc.boolean(), fc.boolean()).map(([enrollmentActive, cohortActive]) => [
  { id: 50, scheme: "enrollment_track", active: enrollmentActive, groups: [{ id: 1 }, { id: 2 }] },
  { id: 100, scheme: "cohort", active: cohortActive, groups: [{ id: 0 }, { id: 1 }, { id: 2 }] },
]);

/**
 * A course: the root (a course block), then 5 to 60 blocks, each under one
 * to three of the four blocks before it, so that the root reaches every
 * block, no cycle forms, and paths are long and cross often.
 */
export const randomCourse: fc.Arbitrary<RandomBlock[]> = fc
  .tuple(
    fc.array(fc.record({ type: fc.constantFrom(...blockTypes), parentPicks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), fields: blockFields }), {
      minLength: 5,
      maxLength: 60,
    }),
    fc.record({ self_paced: fc.boolean(), end: fc.constantFrom(...dates), start: fc.constantFrom(...dates.slice(0, 2)) }),
    partitions,
  )
  .map(([blocks, rootFields, userPartitions]) => {
    const generated: RandomBlock[] = [{ type: "chapter", parents: [], fields: { ...rootFields, user_partitions: userPartitions } }];
    blocks.forEach((block, index) => {
      const parents = [...new Set(block.parentPicks.map((pick) => index - (pick % Math.min(index + 1, 4))))];
      generated.push({ type: block.type, parents, fields: Object.fromEntries(Object.entries(block.fields).filter(([, value]) => value !== undefined)) });
    });
    return generated;
  });

/** Whom a generated course is viewed for. */
export interface RandomLearner {
  readonly staff: boolean;
  readonly now: number;
  /** Partition id (as text) to group id. */
  readonly groups: Readonly<Record<string, number>>;
  /** For each library block in course order, positions of the children the learner's stored selection names. */
  readonly selections: readonly number[][];
}

export const randomLearner: fc.Arbitrary<RandomLearner> = fc.record({
  staff: fc.boolean(),
  now: fc.constantFrom(...viewTimes),
  groups: fc.dictionary(fc.constantFrom("50", "100", "7"), fc.constantFrom(0, 1, 2), { maxKeys: 3 }),
  selections: fc.array(fc.array(fc.nat(5), { maxLength: 3 }), { maxLength: 60 }),
});

/**
 * The outline of `blocks`; the root is `course.root`, the others
 * `<type>.b<index>`. Each split_test maps groups 0 and 1 to its first two
 * children (a third child is in no group), naming them with `keyOf`.
 */
export function outlineOf(blocks: readonly RandomBlock[], keyOf: (name: string) => string): CourseOutline {
  const names = blocks.map((block, index) => (index === 0 ? "course.root" : `${block.type}.b${index}`));
  const children: Record<string, string[]> = Object.fromEntries(names.map((name) => [name, []]));
  blocks.forEach((block, index) => {
    for (const parent of block.parents) children[names[parent]!]!.push(names[index]!);
  });
  const fields = Object.fromEntries(
    blocks.map((block, index) => {
      const name = names[index]!;
      const own = { ...block.fields };
      if (block.type === "split_test") own["group_id_to_child"] = Object.fromEntries(children[name]!.slice(0, 2).map((child, group) => [String(group), keyOf(child)]));
      return [name, own];
    }),
  );
  return { root: names[0]!, names, children, fields };
}

/** The `selected` field `learner` has stored for each library block of `outline`: `[type, id]` pairs of its children. */
export function selectionsOf(outline: CourseOutline, learner: RandomLearner): Map<string, Array<[string, string]>> {
  const selections = new Map<string, Array<[string, string]>>();
  for (const name of outline.names.filter((candidate) => candidate.startsWith("library_content."))) {
    const picks = learner.selections[selections.size] ?? [];
    const children = outline.children[name]!;
    selections.set(
      name,
      picks.flatMap((pick): Array<[string, string]> => (children[pick] === undefined ? [] : [children[pick]!.split(".") as [string, string]])),
    );
  }
  return selections;
}

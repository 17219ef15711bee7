import { blockKey } from "./fixture.js";

/** One block of a generated course: fields as JSON values. */
export interface CourseBlock {
  readonly key: string;
  readonly type: string;
  readonly children: string[];
  readonly fields: Record<string, unknown>;
}

/** The blocks a test needs to name. */
export interface NotableBlocks {
  /** A chapter with `visible_to_staff_only`. */
  readonly staffChapter: string;
  /** A chapter that starts after the evaluation time. */
  readonly futureChapter: string;
  /** A sequential, in an open chapter, that starts after the evaluation time. */
  readonly futureSequential: string;
  /** A sequential with `hide_after_due` whose due date has passed. */
  readonly hiddenSequential: string;
  /** A sequential with `hide_after_due` whose due date has not passed. */
  readonly dueLaterSequential: string;
  /** A vertical that is the child of two sequentials in different chapters. */
  readonly sharedVertical: string;
  /** A problem that is also a child of a vertical of the staff-only chapter. */
  readonly sharedProblem: string;
  /** The library_content block, and its children in order. */
  readonly library: string;
  readonly libraryChildren: readonly string[];
}

/** A generated course. */
export interface GeneratedCourse {
  readonly courseKey: string;
  readonly rootKey: string;
  /** Every block, the root first. */
  readonly blocks: readonly CourseBlock[];
  readonly byKey: ReadonlyMap<string, CourseBlock>;
  readonly notable: NotableBlocks;
}

/** The shape of a generated course. */
export interface CourseShape {
  readonly chapters: number;
  readonly sequentialsPerChapter: number;
  readonly verticalsPerSequential: number;
  /** Problems per vertical; each vertical also has one html and one video block. */
  readonly problemsPerVertical: number;
  /** Children of the library_content block. */
  readonly libraryChildren: number;
}

/** Every registered transformer, in an order the service accepts. */
export const allTransformers = [
  "visibility",
  "start_date",
  "hidden_content",
  "library_content",
  "user_partitions",
  "blocks_api:block_depth",
  "blocks_api:block_counts",
  "blocks_api:block_navigation",
  "learner_progress",
];

/** The time tests evaluate generated courses at: after the course starts, before the future parts do. */
export const evaluationTime = Date.UTC(2026, 5, 1);

/**
 * A course of `shape` in `courseKey` (`course-v1:…`) with something for each
 * transformer (see {@link NotableBlocks}): a staff-only chapter, future
 * chapter and sequential, a hidden-after-due sequential, blocks with two
 * parents, a library_content block, `hide_from_toc` videos. Needs at least 6
 * chapters, 3 sequentials per chapter and 2 verticals per sequential. Every
 * problem has `has_score: true` and `max_score: 1`; every third has
 * `weight: 2`.
 */
export function generateCourse(courseKey: string, shape: CourseShape): GeneratedCourse {
  const keyOf = (type: string, id: string) => blockKey(courseKey, type, id);
  const blocks: CourseBlock[] = [];
  const add = (type: string, id: string, fields: Record<string, unknown> = {}): CourseBlock => {
    const block: CourseBlock = { key: keyOf(type, id), type, children: [], fields: { display_name: `${type} ${id}`, ...fields } };
    blocks.push(block);
    return block;
  };
  const root = add("course", "course", { start: "2026-01-01T00:00:00Z", end: "2027-06-30T00:00:00Z", self_paced: false });
  let problemCount = 0;
  const problem = (parent: CourseBlock, id: string) => {
    const weighted = problemCount % 3 === 2;
    problemCount += 1;
    parent.children.push(add("problem", id, { has_score: true, max_score: 1, graded: true, ...(weighted ? { weight: 2 } : {}) }).key);
  };
  const sequentials: CourseBlock[][] = [];
  for (let c = 0; c < shape.chapters; c += 1) {
    const chapter = add("chapter", `ch${c}`, c === 4 ? { visible_to_staff_only: true } : c === 5 ? { start: "2027-01-01T00:00:00Z" } : {});
    root.children.push(chapter.key);
    sequentials.push([]);
    for (let s = 0; s < shape.sequentialsPerChapter; s += 1) {
      const fields: Record<string, unknown> = { format: "Homework", graded: true, due: "2026-12-01T00:00:00Z" };
      if (c === 2 && s === 1) Object.assign(fields, { hide_after_due: true, due: "2026-03-01T00:00:00Z" });
      if (c === 2 && s === 2) Object.assign(fields, { hide_after_due: true });
      if (c === 3 && s === 2) fields["start"] = "2026-09-01T00:00:00+02:00";
      const sequential = add("sequential", `s${c}_${s}`, fields);
      chapter.children.push(sequential.key);
      sequentials[c]!.push(sequential);
      for (let v = 0; v < shape.verticalsPerSequential; v += 1) {
        const vertical = add("vertical", `v${c}_${s}_${v}`);
        sequential.children.push(vertical.key);
        for (let p = 0; p < shape.problemsPerVertical; p += 1) problem(vertical, `p${c}_${s}_${v}_${p}`);
        vertical.children.push(add("html", `h${c}_${s}_${v}`).key);
        vertical.children.push(add("video", `m${c}_${s}_${v}`, v === 1 && s === 0 ? { hide_from_toc: true } : {}).key);
      }
    }
  }
  const byKey = new Map(blocks.map((block) => [block.key, block]));
  // The DAG: chapter 0's first vertical is also in chapter 1's first sequential,
  // and a problem of chapter 0 also sits in the staff-only chapter.
  const sharedVertical = keyOf("vertical", "v0_0_0");
  byKey.get(sequentials[1]![0]!.key)!.children.push(sharedVertical);
  const sharedProblem = keyOf("problem", "p0_1_1_0");
  byKey.get(keyOf("vertical", "v4_0_0"))!.children.push(sharedProblem);

  const library = add("library_content", "lib", { max_count: 2, display_name: "Question bank" });
  byKey.get(keyOf("vertical", "v3_0_0"))!.children.push(library.key);
  for (let index = 0; index < shape.libraryChildren; index += 1) problem(library, `lib${index}`);
  const complete = new Map(blocks.map((block) => [block.key, block]));
  return {
    courseKey,
    rootKey: root.key,
    blocks,
    byKey: complete,
    notable: {
      staffChapter: keyOf("chapter", "ch4"),
      futureChapter: keyOf("chapter", "ch5"),
      futureSequential: keyOf("sequential", "s3_2"),
      hiddenSequential: keyOf("sequential", "s2_1"),
      dueLaterSequential: keyOf("sequential", "s2_2"),
      sharedVertical,
      sharedProblem,
      library: library.key,
      libraryChildren: library.children,
    },
  };
}

/** The blocks as UpdateCollected takes them: each field value as its JSON text. */
export function blockInputsOf(course: GeneratedCourse): Array<{ blockKey: string; blockType: string; children: string[]; fields: Record<string, string> }> {
  return course.blocks.map((block) => ({
    blockKey: block.key,
    blockType: block.type,
    children: [...block.children],
    fields: Object.fromEntries(Object.entries(block.fields).map(([name, value]) => [name, JSON.stringify(value)])),
  }));
}

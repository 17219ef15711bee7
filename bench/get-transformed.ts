// The GetTransformed scenario of `npm run bench`: a course of about 1,000
// blocks published once, learners with a library selection and scores, and
// calls that ask for every transformer, progress included, for one learner.
import { timestampFromDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import type pg from "pg";
import type { BlockStructureService } from "../gen/learnerstate/v1/block_structure_service_pb.js";
import type { UserStateService } from "../gen/learnerstate/v1/user_state_service_pb.js";
import { allTransformers, blockInputsOf, evaluationTime, generateCourse, type GeneratedCourse } from "../test/support/course-graph.js";
import { courseKey, scope } from "./dataset.js";
import type { Operation } from "./measure.js";
import { readStructureSql } from "./sql.js";

/** The learner-state fields those transformers read (library selections, scores), as the service asks for them. */
const stateFields = ["selected", "score"];

/** The published course and what the calls need to know of it. */
export interface Outline {
  readonly course: GeneratedCourse;
  readonly learners: readonly string[];
  /** Blocks each learner sees (all see the same: the same library selection). */
  readonly visibleBlocks: number;
  /** The stored row's revision: the raw side sends it as a warm cache would. */
  readonly revision: string;
  /** Size of the stored, compressed structure. */
  readonly storedBytes: number;
}

/** A GetTransformed request for `learner`: every transformer, display names, counts, navigation, at a fixed time. */
function requestFor(course: GeneratedCourse, learner: string) {
  return {
    start: { case: "courseKey" as const, value: course.courseKey },
    learner: { username: learner, evaluateAt: timestampFromMs(evaluationTime) },
    transformers: allTransformers,
    requestedFields: ["display_name"],
    options: { blockTypesToCount: ["problem", "video"], navigationDepth: 2 },
  };
}

/**
 * Publishes the course (10 chapters × 4 sequentials × 4 verticals × 3
 * problems, an html and a video each, and an 8-problem library: 1,020
 * blocks) and gives each of `learners` a library selection and a score on
 * three problems in four; reads the stored revision and size from `pool`.
 */
export async function publishOutline(blocks: Client<typeof BlockStructureService>, states: Client<typeof UserStateService>, pool: pg.Pool, learners: readonly string[]): Promise<Outline> {
  const course = generateCourse(courseKey("Outline"), { chapters: 10, sequentialsPerChapter: 4, verticalsPerSequential: 4, problemsPerVertical: 3, libraryChildren: 8 });
  await blocks.updateCollected({ rootBlockKey: course.rootKey, blocks: blockInputsOf(course), dataVersion: "bench", dataEditTimestamp: timestampFromDate(new Date()) });
  const problems = course.blocks.filter((block) => block.type === "problem");
  for (const [index, learner] of learners.entries()) {
    const scores = problems.flatMap((block, position) =>
      (position + index) % 4 === 3 ? [] : [{ blockKey: block.key, fields: { score: JSON.stringify({ raw_earned: (position + index) % 3, raw_possible: 2 }) } }],
    );
    await states.setMany({
      username: learner,
      updates: [{ blockKey: course.notable.library, fields: { selected: JSON.stringify([["problem", `lib${index % 8}`], ["problem", `lib${(index + 3) % 8}`]]) } }, ...scores],
    });
  }
  let visibleBlocks = 0;
  for await (const message of blocks.getTransformed(requestFor(course, learners[0]!))) visibleBlocks += message.blocks.length;
  const stored = await pool.query<{ revision: string; bytes: number }>("select revision::text as revision, octet_length(data) as bytes from block_structure where context_key = $1", [
    course.courseKey,
  ]);
  return { course, learners, visibleBlocks, revision: stored.rows[0]!.revision, storedBytes: stored.rows[0]!.bytes };
}

/** One GetTransformed call for a random learner; resolves with the blocks returned. */
export function serviceGetTransformed(clients: Array<Client<typeof BlockStructureService>>, outline: Outline): Operation {
  return async (worker, random) => {
    const learner = outline.learners[Math.floor(random() * outline.learners.length)]!;
    let blocks = 0;
    for await (const message of clients[worker]!.getTransformed(requestFor(outline.course, learner))) blocks += message.blocks.length;
    return blocks;
  };
}

/**
 * The service's one statement for a random learner, as a server with the
 * structure cached sends it (no structure data comes back, only the
 * learner's state): the database's share of a call. Resolves with 1 row.
 */
export function rawGetTransformed(pool: pg.Pool, outline: Outline): Operation {
  return async (_worker, random) => {
    const learner = outline.learners[Math.floor(random() * outline.learners.length)]!;
    const result = await pool.query(readStructureSql, [outline.revision, learner, JSON.stringify(stateFields), learner, scope, JSON.stringify([outline.course.courseKey])]);
    return result.rows.length;
  };
}

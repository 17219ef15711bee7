import { createBlockStructureOperations, createDefaultTransformerRegistry } from "./src/domain/block-structure/index.js";
import { readStructureInput } from "./src/domain/block-structure/structure-input.js";
import { createBlockStructure } from "./src/domain/block-structure/block-structure.js";
import { defaultLimits } from "./src/domain/state/index.js";
import { blockInputsOf, evaluationTime, generateCourse } from "./test/support/course-graph.js";

const course = generateCourse("course-v1:BenchX+Outline+2026", { chapters: 10, sequentialsPerChapter: 4, verticalsPerSequential: 4, problemsPerVertical: 3, libraryChildren: 8 });
const registry = createDefaultTransformerRegistry();
const input = readStructureInput({ rootBlockKey: course.rootKey, blocks: blockInputsOf(course) }, { ...defaultLimits, maxStructureBlocks: 20000 });
const s = createBlockStructure(input.structure);
registry.collect(s);
const collected = s.toCollected();
const userState = new Map<string, Record<string, unknown>>();
userState.set(course.notable.library, { selected: [["problem", "lib1"], ["problem", "lib4"]] });
course.blocks.filter((b) => b.type === "problem").forEach((b, i) => { if (i % 4 !== 3) userState.set(b.key, { score: { raw_earned: i % 3, raw_possible: 2 } }); });
const version = { rootBlockKey: course.rootKey, contextKey: course.courseKey, dataVersion: null, dataEditTimestamp: 0n, transformersSchemaVersion: registry.writeVersionHash(), blockStructureSchemaVersion: "1", blockCount: collected.blocks.size };
const store = {
  read: async () => ({ version, structure: collected, userState }),
} as never;
const ops = createBlockStructureOperations(store, registry, { ...defaultLimits, maxStructureBlocks: 20000 });
const request = {
  courseKey: course.courseKey, startingBlockKey: null, username: "alice", hasStaffAccess: false, evaluateAtMs: evaluationTime,
  transformers: ["visibility", "start_date", "hidden_content", "library_content", "blocks_api:block_depth", "blocks_api:block_counts", "blocks_api:block_navigation", "learner_progress"],
  requestedFields: ["display_name"], options: { blockTypesToCount: ["problem", "video"], requestedDepth: null, navigationDepth: 2 },
};
const call = { deadlineMs: null, signal: null };
for (let i = 0; i < 50; i++) await ops.getTransformed(call, request);
const started = performance.now();
const n = 300;
let blocks = 0;
for (let i = 0; i < n; i++) blocks = (await ops.getTransformed(call, request)).blocks.length;
console.log(`domain getTransformed: ${((performance.now() - started) / n).toFixed(2)} ms per call, ${blocks} blocks`);

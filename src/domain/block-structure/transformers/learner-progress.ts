import type { BlockStructureTransformer, UsageInfo } from "../transformer.js";
import { booleanFieldOf, numberFieldOf } from "../xblock-fields.js";

const name = "learner_progress";

/** One scored block's score for a learner, weighed. */
interface BlockScore {
  readonly earned: number;
  readonly possible: number;
  /** Whether the learner has a stored score for it. */
  readonly attempted: boolean;
}

/** A stored capa `score` field (`{"raw_earned": x, "raw_possible": y}`), or null when it is absent or of another shape. */
function storedScore(value: unknown): { rawEarned: number; rawPossible: number } | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const { raw_earned: rawEarned, raw_possible: rawPossible } = value as Record<string, unknown>;
  if (typeof rawEarned !== "number" || typeof rawPossible !== "number") return null;
  return { rawEarned, rawPossible };
}

/**
 * The block's score for the learner, as upstream's grades weigh it
 * (`weighted_score`): with a `weight` and a non-zero possible score,
 * `raw_earned * weight / raw_possible` out of `weight`; otherwise the raw
 * score. Without a stored score, 0 out of the collected `max_score` (0 when
 * the publisher sent none).
 */
function scoreOf(usage: UsageInfo, collected: { weight: number | null; maxScore: number | null }, key: string): BlockScore {
  const stored = storedScore(usage.userStateOf(key, "score"));
  const rawEarned = stored?.rawEarned ?? 0;
  const rawPossible = stored?.rawPossible ?? collected.maxScore ?? 0;
  const weighed = collected.weight !== null && rawPossible !== 0;
  return {
    earned: weighed ? (rawEarned * collected.weight!) / rawPossible : rawEarned,
    possible: weighed ? collected.weight! : rawPossible,
    attempted: stored !== null,
  };
}

/**
 * The learner's progress: each block with `has_score: true` scored from the
 * learner's stored `score` field (see {@link scoreOf}), summed up the
 * structure, each scored block counted once under each block it is at or
 * under however many paths lead there (as upstream's subsection grades
 * count a problem once), and only blocks that survived the transformers
 * before it. Outputs `earned`, `possible`, `scored_blocks` and
 * `attempted_blocks` for every block with scored blocks at or under it.
 */
export const learnerProgressTransformer: BlockStructureTransformer = {
  name,
  writeVersion: 1,
  readVersion: 1,
  userStateFields: ["score"],
  runsAfter: [],
  collect(structure) {
    for (const key of structure.topologicalTraversal()) {
      if (!booleanFieldOf(structure, key, "has_score")) continue;
      structure.setTransformerField(key, name, "scored", { weight: numberFieldOf(structure, key, "weight"), maxScore: numberFieldOf(structure, key, "max_score") });
      structure.requestUserState(key);
    }
  },
  transform(usage, structure) {
    const totals = new Map<string, { earned: number; possible: number; scored: number; attempted: number }>();
    // Which scored block last reached each block: each block above a scored
    // one is counted once for it, however many paths lead there.
    const reachedBy = new Map<string, number>();
    const pending: string[] = [];
    let scoredIndex = 0;
    for (const key of structure.topologicalTraversal()) {
      const collected = structure.transformerFieldOf(key, name, "scored") as { weight: number | null; maxScore: number | null } | undefined;
      if (collected === undefined) continue;
      const score = scoreOf(usage, collected, key);
      scoredIndex += 1;
      reachedBy.set(key, scoredIndex);
      pending.push(key);
      for (let block = pending.pop(); block !== undefined; block = pending.pop()) {
        let total = totals.get(block);
        if (total === undefined) totals.set(block, (total = { earned: 0, possible: 0, scored: 0, attempted: 0 }));
        total.earned += score.earned;
        total.possible += score.possible;
        total.scored += 1;
        if (score.attempted) total.attempted += 1;
        for (const parent of structure.parentsOf(block)) {
          if (reachedBy.get(parent) === scoredIndex) continue;
          reachedBy.set(parent, scoredIndex);
          pending.push(parent);
        }
      }
    }
    for (const [key, total] of totals) {
      structure.setTransformerField(key, name, "progress", { earned: total.earned, possible: total.possible, scored_blocks: total.scored, attempted_blocks: total.attempted });
    }
  },
  outputOf(_usage, structure, key) {
    return structure.transformerFieldOf(key, name, "progress") as Record<string, number> | undefined;
  },
};

import { describe, expect, it } from "vitest";
import { Scope } from "../gen/learnerstate/v1/scope_pb.js";
import { collect, userStateClient } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";
import { scrapeMetrics } from "./support/metrics.js";

const keepNewest = 10;
const maxAgeDays = 30;
// A database of its own, so that every history entry in it is this file's and
// the purge counts can be checked exactly. The job runs every 50 ms, 100
// entries per statement, so passes over the seeded history take a while.
const fixture = useServer({
  ownDatabase: true,
  env: {
    HISTORY_MAX_ENTRIES_PER_BLOCK: String(keepNewest),
    HISTORY_MAX_AGE_DAYS: String(maxAgeDays),
    HISTORY_RETENTION_INTERVAL_MS: "50",
    HISTORY_RETENTION_BATCH_ROWS: "100",
  },
});

const metric = async (sample: string) => (await scrapeMetrics(fixture.server.metricsUrl)).get(sample) ?? 0;
const completedRuns = () => metric('learnerstate_history_retention_runs_total{outcome="completed"}');

/** Resolves once a whole retention run has begun and ended after this call: two runs complete, and runs never overlap. */
async function afterFreshRun(): Promise<void> {
  const start = await completedRuns();
  while ((await completedRuns()) < start + 2) await new Promise((resolve) => setTimeout(resolve, 50));
}

const historyOf = async (username: string, key: string, scope = Scope.USER_STATE) =>
  (await collect(fixture.client.getHistory({ username, blockKey: key, scope }))).flatMap((message) => message.entries.map((entry) => entry.state?.fields["n"] ?? null));

const writeTimes = async (username: string, key: string, times: number, scope = Scope.USER_STATE) => {
  for (let n = 0; n < times; n += 1) await fixture.client.setMany({ username, scope, updates: [{ blockKey: key, fields: { n: String(n) } }] });
};

describe("history retention", () => {
  it("keeps exactly the newest HISTORY_MAX_ENTRIES_PER_BLOCK entries of every block, while concurrent SetMany calls on the block complete", async () => {
    // 2,000 other blocks with 12 entries each: 2 of each are beyond the policy.
    const seeded = 24_000;
    await fixture.db.query(
      `insert into user_state_history (username, usage_key, scope, state)
       select 'seed' || (g / 12), 'block-v1:Seed+S+1+type@problem+block@b' || (g / 12), 'user_state', jsonb_build_object('g', g)
       from generate_series(0, $1::int - 1) g`,
      [seeded],
    );
    const username = unique("learner");
    const key = blockKey(`course-v1:${unique("Org")}+Keep+2026`, "problem", "p1");

    // Writers keep writing the block until two whole runs have gone through its history meanwhile.
    const runsBefore = await completedRuns();
    let writing = true;
    let calls = 0;
    const writers = Array.from({ length: 10 }, async (_, writer) => {
      const client = userStateClient(fixture.server.baseUrl);
      for (let round = 0; writing; round += 1) {
        await client.setMany({ username, updates: [{ blockKey: key, fields: { [`w${writer}`]: String(round) } }] }, { timeoutMs: 30_000 });
        calls += 1;
      }
      return writer;
    });
    const started = performance.now();
    while ((await completedRuns()) < runsBefore + 2) await new Promise((resolve) => setTimeout(resolve, 50));
    writing = false;
    expect(await Promise.all(writers)).toHaveLength(10);
    expect(calls).toBeGreaterThan(0);
    const slowest = Math.max(...fixture.server.output.filter((line) => line.includes("history retention run finished")).map((line) => JSON.parse(line).retention.durationMs as number));
    console.log(`history retention: ${calls} SetMany calls on the block completed in ${Math.round(performance.now() - started)} ms, across 2 runs; slowest run so far ${slowest} ms`);

    await writeTimes(username, key, 50);
    await afterFreshRun();

    expect(await historyOf(username, key)).toEqual(Array.from({ length: keepNewest }, (_, index) => String(49 - index)));
    const [state] = (await collect(fixture.client.getMany({ username, blockKeys: [key] }))).flatMap((message) => message.blockStates);
    expect(Object.keys(state!.fields).sort()).toEqual(["n", ...Array.from({ length: 10 }, (_, writer) => `w${writer}`)].sort());

    const perBlock = await fixture.db.query(
      "select count(*)::int as entries, count(*) filter (where username like 'seed%')::int as seeded_blocks from (select username, count(*) as n from user_state_history group by username, usage_key, scope) b where n = $1",
      [keepNewest],
    );
    expect(perBlock.rows[0]).toEqual({ entries: 2001, seeded_blocks: 2000 });
    const left = Number((await fixture.db.query("select count(*) from user_state_history")).rows[0].count);
    expect(left).toBe(2001 * keepNewest);
    expect(await metric('learnerstate_history_retention_purged_total{part="user_state"}')).toBe(seeded + calls + 50 - left);
    expect(await metric("learnerstate_history_retention_duration_seconds_count")).toBeGreaterThanOrEqual(4);
    expect(await metric('learnerstate_history_retention_runs_total{outcome="failed"}')).toBe(0);
    const runLines = fixture.server.output.filter((line) => line.includes("history retention run finished"));
    expect(runLines.length).toBeGreaterThanOrEqual(4);
    expect(JSON.parse(runLines.at(-1)!)).toMatchObject({ retention: { completed: true, policy: { keepNewest, maxAgeDays } } });
  });

  it("removes entries older than HISTORY_MAX_AGE_DAYS but never the newest entry of a state, in every scope", async () => {
    const username = unique("learner");
    const course = `course-v1:${unique("Org")}+Age+2026`;
    const [recent, stale, preference] = [blockKey(course, "problem", "recent"), blockKey(course, "problem", "stale"), blockKey(course, "video", "v")];
    await writeTimes(username, recent, 5);
    await writeTimes(username, stale, 3);
    await writeTimes(username, preference, 12, Scope.PREFERENCES);
    // Make the three oldest entries of `recent`, and every entry of `stale`, 40 days old.
    await fixture.db.query(
      `update user_state_history set modified = modified - interval '40 days'
       where id in (select id from user_state_history where username = $1 and usage_key = $2 order by id limit 3)
          or (username = $1 and usage_key = $3)`,
      [username, recent, stale],
    );
    const purgedBefore = await metric('learnerstate_history_retention_purged_total{part="other_scopes"}');
    await afterFreshRun();

    expect(await historyOf(username, recent)).toEqual(["4", "3"]);
    expect(await historyOf(username, stale)).toEqual(["2"]);
    expect(await historyOf(username, preference, Scope.PREFERENCES)).toEqual(Array.from({ length: keepNewest }, (_, index) => String(11 - index)));
    expect(await metric('learnerstate_history_retention_purged_total{part="other_scopes"}')).toBe(purgedBefore + 2);
  });
});

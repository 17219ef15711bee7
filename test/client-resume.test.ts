import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createLearnerStateServices } from "../src/client/index.js";
import { unique } from "./support/fixture.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";

// The client's IterAll streams ride out a server that dies mid-stream and
// comes back on the same port: the caller sees every row once, in order,
// and no error.
const rowCount = 5_000;
const org = unique("Resume");
const course = `course-v1:${org}+Restart+2026`;
let db: pg.Pool;
let server: ServerProcess;

beforeAll(async () => {
  db = new pg.Pool({ connectionString: inject("databaseUrl"), max: 2 });
  server = await startServerProcess({ DATABASE_URL: inject("databaseUrl") });
  // Loaded with SQL behind the service's back: the test is about reading.
  await db.query(
    `insert into user_state (username, usage_key, scope, context_key, block_type, state, field_modified)
     select 'learner' || (i / 50), 'block-v1:' || $1 || '+Restart+2026+type@problem+block@p' || (i % 50), 'user_state', $2, 'problem',
            jsonb_build_object('seed', i), '{}'::jsonb
     from generate_series(0, $3 - 1) as i`,
    [org, course, rowCount],
  );
});

afterAll(async () => {
  await db.end();
  await server.stop();
});

describe("the TypeScript client's IterAllForCourse", () => {
  it("resumes from its last token after the server is killed and restarted mid-stream", { timeout: 60_000 }, async () => {
    const { userState } = createLearnerStateServices({ target: server.baseUrl, resume: { initialDelayMs: 50, maxDelayMs: 500, maxAttempts: 40 } });
    const port = server.port;
    const seeds: number[] = [];
    let pagesBeforeRestart = 0;
    let restart: Promise<void> | undefined;
    for await (const page of userState.iterAllForCourse({ courseKey: course, batchSize: 100 })) {
      seeds.push(...page.blockStates.map((state) => JSON.parse(state.fields["seed"]!) as number));
      if (restart === undefined && seeds.length >= 1_000) {
        pagesBeforeRestart = seeds.length / 100;
        // The page in hand is the last the old server sends.
        server.kill("SIGKILL");
        await server.exited;
        restart = startServerProcess({ DATABASE_URL: inject("databaseUrl"), PORT: String(port) }).then((restarted) => {
          server = restarted;
        });
      }
    }
    await restart;
    expect(pagesBeforeRestart).toBe(10);
    expect(server.port).toBe(port);
    expect(seeds).toHaveLength(rowCount);
    expect(new Set(seeds).size).toBe(rowCount);
    expect(seeds.toSorted((a, b) => a - b)).toEqual(Array.from({ length: rowCount }, (_, index) => index));
  });
});

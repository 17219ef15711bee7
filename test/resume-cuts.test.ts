// IterAllForCourse cut at random points, by the client (a cancel after a
// few messages) or by the server (killed mid-stream and started again), and
// resumed each time from the last message's token: the rows received, in
// order, are exactly those of one uncut read: none lost, none repeated,
// in both state forms.
import { ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { StateForm } from "../gen/learnerstate/v1/user_state_pb.js";
import { userStateClient } from "./support/clients.js";
import { unique } from "./support/fixture.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";

const rowCount = 3_000;
const org = unique("Cuts");
const course = `course-v1:${org}+Cuts+2026`;
let db: pg.Pool;
let server: ServerProcess;

beforeAll(async () => {
  db = new pg.Pool({ connectionString: inject("databaseUrl"), max: 2 });
  server = await startServerProcess({ DATABASE_URL: inject("databaseUrl") });
  // States of every size from a few bytes to a few kilobytes, and rows of
  // another course around them that must never show.
  await db.query(
    `insert into user_state (username, usage_key, scope, context_key, block_type, state, field_modified)
     select 'learner' || (i / 40), 'block-v1:' || $1 || '+' || c || '+2026+type@problem+block@p' || (i % 40), 'user_state',
            'course-v1:' || $1 || '+' || c || '+2026', 'problem',
            jsonb_build_object('seed', i, 'big', 12345678901234567890 + i, 'pad', repeat('é', (i * 37) % 3000)), '{}'::jsonb
     from generate_series(0, $2 - 1) as i, unnest(array['Cuts', 'Other']) as c`,
    [org, rowCount],
  );
});

afterAll(async () => {
  await db.end();
  await server.stop();
});

/** One row as a reader sees it: whose, which block, and the state's text. */
type Row = string;

async function readStream(form: StateForm, resumeToken: string, stopAfterMessages: number | null, onMessage?: (index: number) => void): Promise<{ rows: Row[]; lastToken: string; ended: boolean }> {
  const controller = new AbortController();
  const rows: Row[] = [];
  let lastToken = resumeToken;
  let messages = 0;
  try {
    for await (const message of userStateClient(server.baseUrl).iterAllForCourse({ courseKey: course, batchSize: 97, resumeToken, stateForm: form }, { signal: controller.signal })) {
      // A message counts only whole: its rows and its token together.
      rows.push(...message.blockStates.map((state) => `${state.username} ${state.blockKey} ${form === StateForm.JSON_OBJECT ? state.stateJson : JSON.stringify(state.fields)}`));
      lastToken = message.resumeToken;
      messages += 1;
      onMessage?.(messages);
      if (stopAfterMessages !== null && messages >= stopAfterMessages) {
        controller.abort();
        return { rows, lastToken, ended: false };
      }
    }
    return { rows, lastToken, ended: true };
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    return { rows, lastToken, ended: false };
  }
}

describe("IterAllForCourse cut at random points", () => {
  it.each([
    ["fields", StateForm.FIELDS],
    ["JSON-object", StateForm.JSON_OBJECT],
  ])("resumes to exactly the full result in the %s form, after client cancels and server restarts", { timeout: 180_000 }, async (_name, form) => {
    const full = await readStream(form, "", null);
    expect(full.ended).toBe(true);
    expect(full.rows).toHaveLength(rowCount);
    const cuts = fc.sample(fc.record({ messages: fc.integer({ min: 1, max: 6 }), restart: fc.boolean() }), { seed: form * 101 + 7, numRuns: 40 });
    const received: Row[] = [];
    let token = "";
    let restarts = 0;
    for (const cut of cuts) {
      if (cut.restart) {
        // The server dies after the client has taken `messages` messages (what it sent ahead is lost with it).
        let killing: Promise<unknown> | undefined;
        const part = await readStream(form, token, null, (index) => {
          if (index === cut.messages && killing === undefined) {
            server.kill("SIGKILL");
            killing = server.exited;
          }
        });
        received.push(...part.rows);
        token = part.lastToken;
        if (part.ended) break;
        await killing;
        server = await startServerProcess({ DATABASE_URL: inject("databaseUrl") });
        restarts += 1;
      } else {
        const part = await readStream(form, token, cut.messages);
        received.push(...part.rows);
        token = part.lastToken;
        if (part.ended) break;
      }
    }
    const rest = await readStream(form, token, null);
    expect(rest.ended).toBe(true);
    received.push(...rest.rows);
    expect(restarts, "the sample restarts the server").toBeGreaterThan(3);
    expect(received.length).toBe(full.rows.length);
    expect(received).toEqual(full.rows);
  });
});

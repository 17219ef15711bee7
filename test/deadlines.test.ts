import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { collect } from "./support/clients.js";
import { blockKey, expectCode, unique, useServer } from "./support/fixture.js";
import { healthOf } from "./support/health.js";

const fixture = useServer({ env: { BREAKER_FAILURE_THRESHOLD: "3" } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Backends of the service that are waiting for a lock, from pg_stat_activity. */
async function serviceBackendsWaitingForLocks(): Promise<number> {
  const result = await fixture.db.query(
    "select count(*)::int as n from pg_stat_activity where application_name = 'learnerstate' and wait_event_type = 'Lock'",
  );
  return result.rows[0].n as number;
}

/** Holds a row lock on the learner's rows, as a slow transaction elsewhere would, until released. */
async function lockRowsOf(username: string): Promise<() => Promise<void>> {
  const locker = await fixture.db.connect();
  await locker.query("begin");
  await locker.query("select 1 from user_state where username = $1 for update", [username]);
  return async () => {
    await locker.query("rollback");
    locker.release();
  };
}

describe("deadlines", () => {
  it("a 50 ms deadline against a blocked query answers DEADLINE_EXCEEDED, cancels the query and releases its backend", async () => {
    const username = unique("learner");
    const key = blockKey(`course-v1:${unique("Org")}+Deadline+2026`, "problem", "p");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { value: '"before"' } }] });
    const release = await lockRowsOf(username);
    try {
      const started = Date.now();
      await expectCode(fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { value: '"during"' } }] }, { timeoutMs: 50 }), Code.DeadlineExceeded);
      expect(Date.now() - started).toBeLessThan(1000);
      // The statement was cancelled in PostgreSQL, not just abandoned by the server.
      let waiting = await serviceBackendsWaitingForLocks();
      for (let attempt = 0; waiting > 0 && attempt < 20; attempt += 1) {
        await sleep(50);
        waiting = await serviceBackendsWaitingForLocks();
      }
      expect(waiting).toBe(0);
    } finally {
      await release();
    }
    // Had the query only been abandoned, it would have run once the lock was released.
    await sleep(200);
    const [message] = await collect(fixture.client.getMany({ username, blockKeys: [key] }));
    expect(message!.blockStates[0]!.fields["value"]).toBe('"before"');
  });

  it("clients' short deadlines never open the circuit breaker", async () => {
    const username = unique("learner");
    const key = blockKey(`course-v1:${unique("Org")}+Deadline+2026`, "problem", "q");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { n: "0" } }] });
    const release = await lockRowsOf(username);
    try {
      for (let attempt = 0; attempt < 6; attempt += 1) {
        await expectCode(fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { n: "1" } }] }, { timeoutMs: 50 }), Code.DeadlineExceeded);
      }
    } finally {
      await release();
    }
    expect(await healthOf(fixture.server.baseUrl)).toBe("SERVING");
    await fixture.client.setMany({ username, updates: [{ blockKey: key, fields: { n: "2" } }] });
  });
});

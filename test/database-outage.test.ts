import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { collect, userStateClient } from "./support/clients.js";
import { blockKey, errorInfoOf, unique, useProxiedServer } from "./support/fixture.js";
import { healthOf } from "./support/health.js";

const fixture = useProxiedServer({ BREAKER_FAILURE_THRESHOLD: "3", BREAKER_HALF_OPEN_AFTER_MS: "500", DB_CONNECT_TIMEOUT_MS: "1000" });

interface WriteOutcome {
  readonly token: string;
  readonly keys: readonly string[];
  readonly ok: boolean;
}
interface CallRecord {
  readonly startedAt: number;
  readonly ms: number;
  readonly code: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("when the database goes away under load and comes back", () => {
  it("fails fast with UNAVAILABLE, reports NOT_SERVING, heals by itself and loses no acknowledged write", async () => {
    const username = unique("learner");
    const course = `course-v1:${unique("Org")}+Outage+2026`;
    const writes: WriteOutcome[] = [];
    const calls: CallRecord[] = [];
    let retryHints = 0;
    let running = true;
    // Longer than any answer should take: a call that hits it has hung.
    const hangMs = 5000;

    async function record(call: () => Promise<unknown>): Promise<boolean> {
      const startedAt = Date.now();
      try {
        await call();
        calls.push({ startedAt, ms: Date.now() - startedAt, code: "OK" });
        return true;
      } catch (error) {
        const connectError = ConnectError.from(error);
        calls.push({ startedAt, ms: Date.now() - startedAt, code: Code[connectError.code] });
        if (connectError.code === Code.Unavailable && connectError.details.length > 0) {
          expect(errorInfoOf(connectError).reason).toMatch(/^STORE_/u);
          if (connectError.details.some((detail) => "type" in detail && detail.type === "google.rpc.RetryInfo")) retryHints += 1;
        }
        return false;
      }
    }

    const writer = async (id: number) => {
      const client = userStateClient(fixture.server.baseUrl);
      // Each write touches three blocks, so "all or nothing" can be checked.
      const keys = [0, 1, 2].map((block) => blockKey(course, "problem", `w${id}b${block}`));
      for (let sequence = 0; running; sequence += 1) {
        const token = `w${id}s${sequence}`;
        const ok = await record(() =>
          client.setMany({ username, updates: keys.map((key) => ({ blockKey: key, fields: { [token]: String(sequence) } })) }, { timeoutMs: hangMs }),
        );
        writes.push({ token, keys, ok });
        await sleep(5);
      }
    };
    const reader = async (id: number) => {
      const client = userStateClient(fixture.server.baseUrl);
      const keys = [0, 1, 2].map((block) => blockKey(course, "problem", `w${id}b${block}`));
      while (running) {
        await record(() => collect(client.getMany({ username, blockKeys: keys }, { timeoutMs: hangMs })));
        await sleep(5);
      }
    };
    const load = [...[0, 1, 2, 3, 4, 5].map(writer), ...[0, 1, 2].map(reader)];

    await sleep(1500);
    expect(await healthOf(fixture.server.baseUrl)).toBe("SERVING");
    const cutAt = Date.now();
    fixture.proxy.cut();
    await sleep(1000);
    const healthWhileDown = await healthOf(fixture.server.baseUrl);
    await sleep(2000);
    const restoredAt = Date.now();
    fixture.proxy.restore();
    let recoveredAt = 0;
    const probe = userStateClient(fixture.server.baseUrl);
    while (recoveredAt === 0 && Date.now() - restoredAt < 15_000) {
      if (await record(() => probe.setMany({ username, updates: [{ blockKey: blockKey(course, "html", "probe"), fields: { at: String(Date.now()) } }] }))) {
        recoveredAt = Date.now();
      } else {
        await sleep(100);
      }
    }
    const healthAfter = await healthOf(fixture.server.baseUrl);
    await sleep(1500);
    running = false;
    await Promise.all(load);

    // Calls that started while the database was cut off (after the first
    // 200 ms, when in-flight ones have settled) until it was restored.
    const duringOutage = calls.filter((call) => call.startedAt > cutAt + 200 && call.startedAt < restoredAt);
    const slowest = Math.max(...duringOutage.map((call) => call.ms));
    const codes = new Set(duringOutage.map((call) => call.code));

    // Every acknowledged write is there with exactly its fields; every failed
    // one is on all three blocks or on none.
    const stored = await fixture.db.query<{ usage_key: string; state: Record<string, string> }>(
      "select usage_key, state from user_state where username = $1 and context_key = $2",
      [username, course],
    );
    const stateOf = new Map(stored.rows.map((row) => [row.usage_key, row.state]));
    let lost = 0;
    let partial = 0;
    for (const write of writes) {
      const present = write.keys.filter((key) => stateOf.get(key)?.[write.token] !== undefined).length;
      if (write.ok && present !== write.keys.length) lost += 1;
      if (!write.ok && present !== 0 && present !== write.keys.length) partial += 1;
    }
    const acknowledged = writes.filter((write) => write.ok).length;
    console.log(
      `outage: ${acknowledged} writes acknowledged, ${writes.length - acknowledged} failed, ${lost} lost, ${partial} partial; ` +
        `${duringOutage.length} calls during the outage answered ${[...codes].join("/")} in at most ${slowest} ms; ` +
        `${retryHints} with a retry hint from the open breaker; recovered ${recoveredAt - restoredAt} ms after the database came back; health ${healthWhileDown} while down, ${healthAfter} after`,
    );

    expect(duringOutage.length).toBeGreaterThan(20);
    expect([...codes]).toEqual(["Unavailable"]);
    expect(slowest).toBeLessThan(1000);
    expect(retryHints).toBeGreaterThan(0);
    expect(healthWhileDown).toBe("NOT_SERVING");
    expect(recoveredAt, "the service did not recover").toBeGreaterThan(0);
    expect(recoveredAt - restoredAt).toBeLessThan(5000);
    expect(healthAfter).toBe("SERVING");
    expect(acknowledged).toBeGreaterThan(50);
    expect(lost).toBe(0);
    expect(partial).toBe(0);
  });
});

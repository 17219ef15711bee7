import { describe, expect, it } from "vitest";
import type { CallLimits } from "../domain/state/index.js";
import { createWorkAdmission } from "./work-admission.js";

const newCall = (): CallLimits => ({ deadlineMs: null, signal: null });

describe("work admission", () => {
  it("lets the next piece of an admitted call go before new calls, and refuses none of its pieces", async () => {
    const admission = createWorkAdmission({ limit: 1, maxWaitMs: 10_000 });
    const stream = newCall();
    const leaveFirst = await admission.enter(stream);
    const order: string[] = [];
    const fresh = admission.enter(newCall()).then((leave) => (order.push("new call"), leave));
    const nextPage = admission.enter(stream).then((leave) => (order.push("next page"), leave));
    expect(admission.figures()).toMatchObject({ running: 1, waiting: 2 });
    leaveFirst();
    (await Promise.race([nextPage, fresh]))();
    (await Promise.all([nextPage, fresh])).forEach((leave) => leave());
    expect(order).toEqual(["next page", "new call"]);
    expect(admission.figures()).toMatchObject({ running: 0, waiting: 0, admitted: 3 });
  });

  it("lets a new call that has waited half its longest go before the next pieces of running calls", async () => {
    const admission = createWorkAdmission({ limit: 1, maxWaitMs: 100 });
    const stream = newCall();
    const leaveFirst = await admission.enter(stream);
    const order: string[] = [];
    const fresh = admission.enter(newCall()).then((leave) => (order.push("new call"), leave));
    await new Promise((resolve) => setTimeout(resolve, 60));
    const nextPage = admission.enter(stream).then((leave) => (order.push("next page"), leave));
    leaveFirst();
    (await Promise.race([nextPage, fresh]))();
    (await Promise.all([nextPage, fresh])).forEach((leave) => leave());
    expect(order).toEqual(["new call", "next page"]);
  });

  it("refuses a new call at once, as OVERLOADED with a retry delay, when the work ahead would outlast its wait", async () => {
    const admission = createWorkAdmission({ limit: 1, maxWaitMs: 20 });
    // One piece of work that took about 50 ms teaches it how long work takes.
    const leave = await admission.enter(newCall());
    await new Promise((resolve) => setTimeout(resolve, 50));
    leave();
    const holding = await admission.enter(newCall());
    expect(admission.turnAway()).toMatchObject({ kind: "resource-exhausted", reason: "OVERLOADED" });
    await expect(admission.enter(newCall())).rejects.toMatchObject({ reason: "OVERLOADED", metadata: { retryAfterMs: expect.stringMatching(/^\d+$/u) } });
    expect(admission.figures().refused.would_wait_too_long).toBe(2);
    holding();
    expect(admission.turnAway()).toBeNull();
  });

  it("refuses a new call that waited its longest, and lets a caller that went away leave the line", async () => {
    const admission = createWorkAdmission({ limit: 1, maxWaitMs: 30 });
    const holding = await admission.enter(newCall());
    await expect(admission.enter(newCall())).rejects.toMatchObject({ reason: "OVERLOADED" });
    expect(admission.figures().refused.waited_too_long).toBe(1);

    const abort = new AbortController();
    const leaving = admission.enter({ deadlineMs: null, signal: abort.signal });
    abort.abort(new Error("gone"));
    await expect(leaving).rejects.toThrow("gone");
    expect(admission.figures().waiting).toBe(0);
    holding();
  });
});

import { describe, expect, it } from "vitest";
import { LearnerStateError } from "../domain/errors.js";
import type { CallLimits } from "../domain/state/index.js";
import { routeReads, type ReadReplica } from "./route-reads.js";

/** A port with one routed read and one method that must stay on the primary. */
interface Port {
  page(call: CallLimits, index: number): Promise<string>;
  write(call: CallLimits): Promise<string>;
}

function port(name: string, failWith: Error | null = null): Port & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async page(_call, index) {
      calls.push(`page ${index}`);
      if (failWith !== null) throw failWith;
      return name;
    },
    async write() {
      calls.push("write");
      return name;
    },
  };
}

const newCall = (): CallLimits => ({ deadlineMs: null, signal: null });
const replica = (target: Port, usable: () => boolean): ReadReplica<Port> => ({ port: target, usable });

describe("routeReads()", () => {
  it("should send the named methods to a usable standby and every other method to the primary", async () => {
    const primary = port("primary");
    const standby = port("standby");
    const routed = routeReads<Port>(primary, [replica(standby, () => true)], ["page"]);
    const call = newCall();
    expect(await routed.page(call, 0)).toBe("standby");
    expect(await routed.write(call)).toBe("primary");
    expect(primary.calls).toEqual(["write"]);
  });

  it("should keep a call on its standby, move it to the primary for good once that standby is unusable, and start new calls on the standby again", async () => {
    let usable = true;
    const primary = port("primary");
    const routed = routeReads<Port>(primary, [replica(port("standby"), () => usable)], ["page"]);
    const call = newCall();
    expect(await routed.page(call, 0)).toBe("standby");
    usable = false;
    expect(await routed.page(call, 1)).toBe("primary");
    usable = true;
    expect(await routed.page(call, 2)).toBe("primary");
    expect(await routed.page(newCall(), 0)).toBe("standby");
  });

  it("should rerun a read on the primary when the standby answers unavailable, and pass other errors through", async () => {
    const unavailable = new LearnerStateError("unavailable", "STORE_UNAVAILABLE", "gone");
    const routed = routeReads<Port>(port("primary"), [replica(port("down", unavailable), () => true)], ["page"]);
    expect(await routed.page(newCall(), 0)).toBe("primary");
    const invalid = new LearnerStateError("invalid-argument", "INVALID_RESUME_TOKEN", "bad");
    const strict = routeReads<Port>(port("primary"), [replica(port("standby", invalid), () => true)], ["page"]);
    await expect(strict.page(newCall(), 0)).rejects.toBe(invalid);
  });

  it("should let standbys take turns, skipping unusable ones", async () => {
    const standbys = [port("a"), port("b"), port("c")];
    const routed = routeReads<Port>(port("primary"), [replica(standbys[0]!, () => true), replica(standbys[1]!, () => false), replica(standbys[2]!, () => true)], ["page"]);
    const answers = [];
    for (let index = 0; index < 4; index += 1) answers.push(await routed.page(newCall(), index));
    expect(answers).toEqual(["a", "c", "a", "c"]);
  });

  it("should return the primary itself when there are no standbys", () => {
    const primary = port("primary");
    expect(routeReads<Port>(primary, [], ["page"])).toBe(primary);
  });
});

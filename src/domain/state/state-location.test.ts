import { describe, expect, it } from "vitest";
import { addressBlock } from "./block-address.js";
import { locateState, ownerOf } from "./state-location.js";

const problem = "block-v1:edX+DemoX+2026+type@problem+block@q1";
const aside = "aside-usage-v2:block-v1$:edX+DemoX+2026+type@video+block@v1::tagging_aside";
const asideV1 = "aside-usage-v1:i4x://edX/DemoX/video/v1::tagging_aside";

describe("locateState()", () => {
  it("should key user_state and user_state_summary by the canonical usage key, filed under its course and type", () => {
    for (const scope of ["user_state", "user_state_summary"] as const) {
      expect(locateState(scope, addressBlock(problem, "k"))).toEqual({ key: problem, contextKey: "course-v1:edX+DemoX+2026", blockType: "problem" });
    }
  });

  it("should key preferences by the block's type, or an aside's own type, in no course", () => {
    expect(locateState("preferences", addressBlock(problem, "k"))).toEqual({ key: "problem", contextKey: "", blockType: "problem" });
    expect(locateState("preferences", addressBlock(aside, "k"))).toEqual({ key: "tagging_aside", contextKey: "", blockType: "tagging_aside" });
    expect(locateState("preferences", addressBlock(asideV1, "k")).key).toBe("tagging_aside");
    expect(locateState("preferences", addressBlock("i4x://edX/DemoX/problem/q1", "k")).key).toBe("problem");
  });

  it("should key user_info by nothing", () => {
    expect(locateState("user_info", addressBlock(aside, "k"))).toEqual({ key: "", contextKey: "", blockType: "" });
  });
});

describe("ownerOf()", () => {
  it("should be the learner, except for user_state_summary, which is no learner's", () => {
    const scopes = ["user_state", "preferences", "user_info", "user_state_summary"] as const;
    expect(scopes.map((scope) => ownerOf(scope, "alice"))).toEqual(["alice", "alice", "alice", ""]);
  });
});

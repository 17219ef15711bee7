import { describe, expect, it } from "vitest";
import { contextsOfCourseKey, contextsOfUsageKeys, type AccessRequest } from "./access-request.js";
import { capabilities } from "./capability.js";
import { decide } from "./policy.js";
import type { Principal } from "./principal.js";
import { parseTokenFilters } from "./token-filters.js";

function token(claims: { username?: string; scopes?: string[]; filters?: string[] }): Principal {
  return {
    kind: "token",
    subject: "1",
    username: claims.username ?? "alice",
    administrator: false,
    scopes: claims.scopes ?? [],
    filters: parseTokenFilters(claims.filters),
    restricted: false,
  };
}

const key = "block-v1:edX+DemoX+2026+type@problem+block@q1";
const readOf = (username: string, blockKeys = [key]): AccessRequest => ({
  operation: "GetMany",
  capability: capabilities.readLearnerState,
  owner: { kind: "learner", username },
  contexts: contextsOfUsageKeys(blockKeys),
});

describe("decide()", () => {
  it("should let development and administrator principals do anything, even unruled methods", () => {
    const unruled: AccessRequest = { operation: "New", capability: "administrator-only", owner: { kind: "every-learner" }, contexts: null };
    expect(decide({ kind: "development" }, unruled).allowed).toBe(true);
    expect(decide({ ...(token({}) as Extract<Principal, { kind: "token" }>), administrator: true }, unruled).allowed).toBe(true);
    expect(decide(token({ scopes: Object.values(capabilities), filters: ["user:me"] }), unruled).allowed).toBe(false);
  });

  it("should need both user:me and a covering context filter when a token carries both", () => {
    const both = token({ scopes: [capabilities.readLearnerState], filters: ["user:me", "content_org:EDX"] });
    expect(decide(both, readOf("alice"))).toMatchObject({ allowed: true, filters: ["user:me", "content_org:edx"], audit: false });
    expect(decide(both, readOf("alice", ["block-v1:MITx+6.002+2026+type@problem+block@q1"])).allowed).toBe(false);
    expect(decide(both, readOf("bob")).allowed).toBe(false);
  });

  it("should refuse a token with a filter it does not know, even beside one it knows", () => {
    const decision = decide(token({ scopes: [capabilities.readLearnerState], filters: ["user:me", "tenant:42"] }), readOf("alice"));
    expect(decision).toMatchObject({ allowed: false, filters: ["tenant:42"] });
  });

  it("should compare course filters by canonical key and cover i4x blocks only through their org", () => {
    const staff = token({ scopes: [capabilities.bulkReadLearnerState], filters: ["course:edX/DemoX/2026"] });
    const iterate = (courseKey: string): AccessRequest => ({
      operation: "IterAllForCourse",
      capability: capabilities.bulkReadLearnerState,
      owner: { kind: "every-learner" },
      contexts: contextsOfCourseKey(courseKey),
    });
    expect(decide(staff, iterate("edX/DemoX/2026")).allowed).toBe(true);
    expect(decide(staff, iterate("course-v1:edX+DemoX+2026")).allowed).toBe(false);
    const i4xRead = { ...readOf("bob", ["i4x://edX/DemoX/problem/q1"]) };
    expect(decide(token({ scopes: [capabilities.readLearnerState], filters: ["course:edX/DemoX/2026"] }), i4xRead).allowed).toBe(false);
    expect(decide(token({ scopes: [capabilities.readLearnerState], filters: ["content_org:edx"] }), i4xRead)).toMatchObject({ allowed: true, audit: true });
  });

  it("should refuse a context-filtered token when a key does not parse", () => {
    const staff = token({ scopes: [capabilities.readLearnerState], filters: ["content_org:edX"] });
    expect(decide(staff, readOf("bob", ["not-a-key"])).allowed).toBe(false);
    // Only user:me: the call is the caller's own, and the handler will reject the key.
    expect(decide(token({ scopes: [capabilities.readLearnerState], filters: ["user:me"] }), readOf("alice", ["not-a-key"])).allowed).toBe(true);
  });

  it("should audit every erasure of a learner's data, whoever makes it, and no administrator's other call", () => {
    const erase: AccessRequest = { operation: "RetireLearner", capability: capabilities.eraseLearnerState, owner: { kind: "learner", username: "alice" }, contexts: [] };
    const administrator = { ...(token({}) as Extract<Principal, { kind: "token" }>), administrator: true };
    expect(decide({ kind: "development" }, erase)).toMatchObject({ allowed: true, audit: true });
    expect(decide(administrator, erase)).toMatchObject({ allowed: true, audit: true });
    expect(decide(token({ scopes: [capabilities.eraseLearnerState], filters: ["user:me"] }), erase)).toMatchObject({ allowed: true, audit: true });
    expect(decide(token({ scopes: [capabilities.eraseLearnerState], filters: ["content_org:edx"] }), erase).allowed).toBe(false);
    expect(decide(administrator, readOf("bob"))).toMatchObject({ allowed: true, audit: false });
  });

  it("should let user:me tokens read data shared by all learners, never change it", () => {
    const shared = (operation: string, capability: AccessRequest["capability"]): AccessRequest => ({
      operation,
      capability,
      owner: { kind: "shared" },
      contexts: contextsOfUsageKeys([key]),
    });
    const own = token({ scopes: [capabilities.readLearnerState, capabilities.writeLearnerState], filters: ["user:me"] });
    expect(decide(own, shared("SetMany", capabilities.writeLearnerState)).allowed).toBe(false);
    expect(decide(own, shared("GetMany", capabilities.readLearnerState)).allowed).toBe(true);
    const staff = token({ scopes: [capabilities.writeLearnerState], filters: ["course:course-v1:edX+DemoX+2026"] });
    expect(decide(staff, shared("SetMany", capabilities.writeLearnerState)).allowed).toBe(true);
  });
});

import type { DescMethod } from "@bufbuild/protobuf";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  BlockStructureService,
  type ClearBlockStructureRequest,
  type GetCollectedRequest,
  type GetTransformedRequest,
  type IsUpToDateRequest,
  type UpdateCollectedRequest,
} from "../../gen/learnerstate/v1/block_structure_service_pb.js";
import {
  CatalogService,
  type CreateCourseRunForModulestoreCourseRequest,
  type CreateOrganizationRequest,
  type DeleteCatalogCourseRequest,
  type DeleteCourseRunRequest,
  type SyncCourseRunDetailsRequest,
  type UpdateCatalogCourseRequest,
} from "../../gen/learnerstate/v1/catalog_service_pb.js";
import { KeyService } from "../../gen/learnerstate/v1/key_service_pb.js";
import type { Scope } from "../../gen/learnerstate/v1/scope_pb.js";
import {
  UserStateService,
  type DeleteManyRequest,
  type GetHistoryRequest,
  type GetManyRequest,
  type GetModDatesRequest,
  type IterAllForBlockRequest,
  type IterAllForCourseRequest,
  type RetireLearnerRequest,
  type SetManyRequest,
  type WatchChangesRequest,
} from "../../gen/learnerstate/v1/user_state_service_pb.js";
import {
  capabilities,
  contextsOfCatalogCourse,
  contextsOfCourseKey,
  contextsOfOrganization,
  contextsOfUsageKeys,
  type AccessRequest,
  type Capability,
  type ContextRef,
} from "../auth/index.js";
import { stateReadingTransformerNames } from "../domain/block-structure/index.js";
import { scopeKeyings } from "../domain/state/index.js";
import { selectionOf } from "./catalog/index.js";
import { knownScope } from "./scope.js";

/** What the policy needs to know of one call: everything but the operation's name. */
type Access = Omit<AccessRequest, "operation">;

// An unknown scope number is judged as user_state, the strictest reading: the
// handler then rejects it.
const keyingOf = (scope: Scope) => scopeKeyings[knownScope(scope) ?? "user_state"];

/**
 * The courses of a call in `scope` that names `contexts`: state of a scope
 * kept per learner, block type or learner alone (preferences, user_info)
 * belongs to no course, so no course or org filter can cover it.
 */
const contextsIn = (scope: Scope, contexts: () => ContextRef[] | null) => (keyingOf(scope).by === "usage" ? contexts() : []);

/** A call about `username`'s state of `blockKeys` in `scope`: the learner's, or nobody's for state shared by all learners. */
const ofLearner = (capability: Capability, scope: Scope, username: string, blockKeys: readonly string[]): Access => ({
  capability,
  owner: keyingOf(scope).owner === "shared" ? { kind: "shared" } : { kind: "learner", username },
  contexts: contextsIn(scope, () => contextsOfUsageKeys(blockKeys)),
});

/** A bulk read in `scope` of the courses `contexts` gives: every learner's state, or state shared by all learners. */
const ofEveryLearner = (scope: Scope, contexts: () => ContextRef[] | null): Access => ({
  capability: capabilities.bulkReadLearnerState,
  owner: keyingOf(scope).owner === "shared" ? { kind: "shared" } : { kind: "every-learner" },
  contexts: contextsIn(scope, contexts),
});

const anyToken: Access = { capability: null, owner: { kind: "shared" }, contexts: [] };
const catalogWrite = (contexts: ContextRef[] | null): Access => ({ capability: capabilities.catalogWrite, owner: { kind: "shared" }, contexts });

const ofCourseContent = (courseKey: string): Access => ({ capability: capabilities.blockStructureWrite, owner: { kind: "shared" }, contexts: contextsOfCourseKey(courseKey) });

/**
 * What GetTransformed asks for: a learner view of course content is for any
 * valid token; one that joins a learner's state needs that learner's state
 * (as GetMany); a staff view, a preview at another time, or a view with the
 * learner's partition groups (which only a backend that knows them may
 * assert) shows staff-only, unreleased or group-restricted content, so it
 * needs the publisher's scope; and any of those with a learner's state is
 * for administrators.
 */
function ofTransformed(request: GetTransformedRequest): Access {
  const contexts = request.start.case === "startingBlockKey" ? contextsOfUsageKeys([request.start.value]) : contextsOfCourseKey(request.start.value ?? "");
  const learner = request.learner;
  const privileged = learner !== undefined && (learner.hasStaffAccess || learner.evaluateAt !== undefined || Object.keys(learner.userPartitionGroups).length > 0);
  const readsState = request.transformers.some((name) => stateReadingTransformerNames.includes(name));
  if (privileged && readsState) return { capability: "administrator-only", owner: { kind: "learner", username: request.learner?.username ?? "" }, contexts };
  if (readsState) return { capability: capabilities.readLearnerState, owner: { kind: "learner", username: request.learner?.username ?? "" }, contexts };
  if (privileged) return { capability: capabilities.blockStructureWrite, owner: { kind: "shared" }, contexts };
  return { capability: null, owner: { kind: "shared" }, contexts };
}

/**
 * Every guarded RPC, by its full name, and what a call to it asks for: the
 * scope it needs and whose data in which courses it touches. The README's
 * table of scopes is this table.
 */
const accessRules: Record<string, (message: never) => Access> = {
  [`${UserStateService.typeName}.GetMany`]: (request: GetManyRequest) =>
    ofLearner(capabilities.readLearnerState, request.scope, request.username, request.blockKeys),
  [`${UserStateService.typeName}.GetModDates`]: (request: GetModDatesRequest) =>
    ofLearner(capabilities.readLearnerState, request.scope, request.username, request.blockKeys),
  [`${UserStateService.typeName}.GetHistory`]: (request: GetHistoryRequest) =>
    ofLearner(capabilities.readLearnerState, request.scope, request.username, [request.blockKey]),
  [`${UserStateService.typeName}.SetMany`]: (request: SetManyRequest) =>
    ofLearner(capabilities.writeLearnerState, request.scope, request.username, request.updates.map((update) => update.blockKey)),
  [`${UserStateService.typeName}.DeleteMany`]: (request: DeleteManyRequest) =>
    ofLearner(capabilities.writeLearnerState, request.scope, request.username, request.blockKeys),
  [`${UserStateService.typeName}.IterAllForBlock`]: (request: IterAllForBlockRequest) =>
    ofEveryLearner(request.scope, () => contextsOfUsageKeys([request.blockKey])),
  [`${UserStateService.typeName}.IterAllForCourse`]: (request: IterAllForCourseRequest) =>
    ofEveryLearner(request.scope, () => contextsOfCourseKey(request.courseKey)),
  // As IterAllForCourse, narrowed to one learner when `username` is set;
  // every course's changes (no course key) are for administrators.
  [`${UserStateService.typeName}.WatchChanges`]: (request: WatchChangesRequest) => ({
    capability: request.courseKey === "" ? "administrator-only" : capabilities.bulkReadLearnerState,
    owner: request.username === "" ? { kind: "every-learner" } : { kind: "learner", username: request.username },
    contexts: request.courseKey === "" ? [] : contextsOfCourseKey(request.courseKey),
  }),
  // Spans every course, which no course or org filter covers: no contexts.
  [`${UserStateService.typeName}.RetireLearner`]: (request: RetireLearnerRequest) => ({
    capability: capabilities.eraseLearnerState,
    owner: { kind: "learner", username: request.username },
    contexts: [],
  }),
  [`${KeyService.typeName}.DescribeKey`]: () => ({ capability: null, owner: { kind: "shared" }, contexts: [] }),
  [`${CatalogService.typeName}.GetCatalogCourse`]: () => anyToken,
  [`${CatalogService.typeName}.GetCourseRun`]: () => anyToken,
  [`${CatalogService.typeName}.ListCatalogCourses`]: () => anyToken,
  [`${CatalogService.typeName}.ListCourseRuns`]: () => anyToken,
  [`${CatalogService.typeName}.UpdateCatalogCourse`]: (request: UpdateCatalogCourseRequest) => catalogWrite(contextsOfCatalogCourse(selectionOf(request.catalogCourse))),
  [`${CatalogService.typeName}.DeleteCatalogCourse`]: (request: DeleteCatalogCourseRequest) => catalogWrite(contextsOfCatalogCourse(selectionOf(request.catalogCourse))),
  [`${CatalogService.typeName}.SyncCourseRunDetails`]: (request: SyncCourseRunDetailsRequest) => catalogWrite(contextsOfCourseKey(request.courseKey)),
  [`${CatalogService.typeName}.DeleteCourseRun`]: (request: DeleteCourseRunRequest) => catalogWrite(contextsOfCourseKey(request.courseKey)),
  [`${CatalogService.typeName}.CreateCourseRunForModulestoreCourse`]: (request: CreateCourseRunForModulestoreCourseRequest) =>
    catalogWrite(contextsOfCourseKey(request.courseKey)),
  [`${CatalogService.typeName}.CreateOrganization`]: (request: CreateOrganizationRequest) => catalogWrite(contextsOfOrganization(request.shortName)),
  [`${BlockStructureService.typeName}.UpdateCollected`]: (request: UpdateCollectedRequest) => ({
    capability: capabilities.blockStructureWrite,
    owner: { kind: "shared" },
    contexts: contextsOfUsageKeys([request.rootBlockKey]),
  }),
  [`${BlockStructureService.typeName}.GetCollected`]: (request: GetCollectedRequest) => ofCourseContent(request.courseKey),
  [`${BlockStructureService.typeName}.IsUpToDate`]: (request: IsUpToDateRequest) => ofCourseContent(request.courseKey),
  [`${BlockStructureService.typeName}.ClearBlockStructure`]: (request: ClearBlockStructureRequest) => ofCourseContent(request.courseKey),
  [`${BlockStructureService.typeName}.GetTransformed`]: (request: GetTransformedRequest) => ofTransformed(request),
};

// Open so that probes and tools reach them without a token. Every other
// service, including any added later, is guarded.
const openServices = new Set([Health.typeName, ServerReflection.typeName]);

/** Whether calls to `method` go through authentication and the policy: every service's but health's and reflection's. */
export function isGuarded(method: DescMethod): boolean {
  return !openServices.has(method.parent.typeName);
}

/**
 * What a call to a guarded `method` with `message` asks to do, for the
 * policy. A guarded method without a rule in the table is administrator-only,
 * so a method added to the contract without a rule is refused to every other
 * token, never let through.
 */
export function accessOfCall(method: DescMethod, message: unknown): AccessRequest {
  const rule = accessRules[`${method.parent.typeName}.${method.name}`] as ((message: unknown) => Access) | undefined;
  if (rule === undefined) return { operation: method.name, capability: "administrator-only", owner: { kind: "every-learner" }, contexts: null };
  return { operation: method.name, ...rule(message) };
}

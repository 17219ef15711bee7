import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  BlockWriteResultSchema,
  FieldModificationSchema,
  type FieldSelection,
} from "../../gen/learnerstate/v1/user_state_pb.js";
import {
  GetManyResponseSchema,
  IterAllForBlockResponseSchema,
  IterAllForCourseResponseSchema,
  UserStateService,
} from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { Scope as ScopeMessage } from "../../gen/learnerstate/v1/scope_pb.js";
import { invalidArgument } from "../domain/errors.js";
import { watchFilterOf, type ChangeFeed } from "../domain/changes/index.js";
import { etagOf, fixedLimits, type CallLimits, type IterationFilter, type UserStateOperations } from "../domain/state/index.js";
import { batches } from "./batches.js";
import { createBlockStatesResponder, messageBudgetBytes, type BlockStatesResponder, type BlockStatesResponseSchema } from "./block-states-response.js";
import { createHistoryResponder } from "./history-response.js";
import { callLimitsOf } from "./call-limits-of.js";
import { flatMapStream } from "./flat-map-stream.js";
import type { ResumeTokenCodec } from "./resume-token.js";
import type { StateForm } from "./block-state-encoding.js";
import { decodeFeedPosition, encodeFeedPosition } from "./feed-token.js";
import { scopeFromEnum } from "./scope.js";
import { createChangeBatchResponder } from "./change-batch-response.js";
import { stateFormFromEnum } from "./state-form.js";
import { timestampFromMicros } from "./timestamp.js";

// Generated message types stop here: requests are read field by field into
// plain domain values, and responses are built field by field from them.

const fieldNamesOf = (selection: FieldSelection | undefined) => (selection === undefined ? null : selection.fieldNames);

/** A scope a watcher names: one the contract names, and not "unspecified", which here would mean nothing. */
function watchedScope(value: ScopeMessage, index: number) {
  if (value === ScopeMessage.UNSPECIFIED) throw invalidArgument("UNSUPPORTED_SCOPE", `scopes[${index}]`, "SCOPE_UNSPECIFIED is not a scope to watch; name the scope");
  return scopeFromEnum(value);
}

/**
 * Implements learnerstate.v1.UserStateService on top of the state rules and
 * the change feed. `maxMessageBytes` is the server's limit on one message:
 * bulk responses are split to stay within it, and within
 * {@link messageBudgetBytes}.
 */
export function createUserStateService(
  operations: UserStateOperations,
  feed: ChangeFeed,
  resumeTokens: ResumeTokenCodec,
  maxMessageBytes: number,
): ServiceImpl<typeof UserStateService> {
  // Room for a message's own framing and resume token beside its states.
  const budgetBytes = Math.max(1, Math.min(messageBudgetBytes, maxMessageBytes - 1024));
  const responder = <Schema extends BlockStatesResponseSchema>(schema: Schema, context: HandlerContext, form: StateForm) =>
    createBlockStatesResponder(schema, context.requestHeader.get("content-type"), budgetBytes, form);

  function iterateAll<Schema extends BlockStatesResponseSchema>(
    call: CallLimits,
    filter: IterationFilter,
    resumeToken: string,
    batchSize: number,
    respond: BlockStatesResponder<Schema>,
  ) {
    const batchRows = operations.messageRows(batchSize);
    const after = resumeTokens.decode(resumeToken, filter);
    return flatMapStream(operations.iterate(call, filter, after, batchRows), (page) => respond(page, (row) => resumeTokens.encode(filter, page.positions[row]!), batchRows));
  }

  return {
    async *getMany(request, context) {
      const form = stateFormFromEnum(request.stateForm);
      const states = await operations.getMany(callLimitsOf(context), {
        username: request.username,
        scope: scopeFromEnum(request.scope),
        blockKeys: request.blockKeys,
        fieldNames: fieldNamesOf(request.fieldSelection),
      });
      const respond = responder(GetManyResponseSchema, context, form);
      yield* respond(states, () => "", fixedLimits.blocksPerMessage);
    },

    async setMany(request, context) {
      const versions = await operations.setMany(
        callLimitsOf(context),
        request.username,
        scopeFromEnum(request.scope),
        request.updates.map((update) => ({ blockKey: update.blockKey, fields: update.fields, precondition: update.precondition ?? null })),
      );
      return {
        results: request.updates.map((update, index) => {
          const { position, modified } = versions[index]!;
          return create(BlockWriteResultSchema, { blockKey: update.blockKey, updateTime: timestampFromMicros(modified), etag: etagOf(position, modified) });
        }),
      };
    },

    async deleteMany(request, context) {
      await operations.deleteMany(callLimitsOf(context), {
        username: request.username,
        scope: scopeFromEnum(request.scope),
        blockKeys: request.blockKeys,
        fieldNames: fieldNamesOf(request.fieldSelection),
        preconditions: request.preconditions,
      });
      return {};
    },

    async *getModDates(request, context) {
      const times = await operations.getModDates(callLimitsOf(context), {
        username: request.username,
        scope: scopeFromEnum(request.scope),
        blockKeys: request.blockKeys,
        fieldNames: fieldNamesOf(request.fieldSelection),
      });
      for (const batch of batches(times, fixedLimits.modificationsPerMessage)) {
        yield {
          fieldModifications: batch.map((time) =>
            create(FieldModificationSchema, { blockKey: time.usageKey, fieldName: time.fieldName, updateTime: timestampFromMicros(time.modified) }),
          ),
        };
      }
    },

    async *getHistory(request, context) {
      const form = stateFormFromEnum(request.stateForm);
      const batchRows = operations.messageRows(request.batchSize);
      const history = operations.getHistory(callLimitsOf(context), request.username, scopeFromEnum(request.scope), request.blockKey, batchRows);
      const respond = createHistoryResponder(context.requestHeader.get("content-type"), request.blockKey, form, batchRows);
      for await (const page of history) yield* respond(page);
    },

    iterAllForBlock(request, context) {
      const form = stateFormFromEnum(request.stateForm);
      const filter = operations.iterationFilter({ kind: "block", scope: scopeFromEnum(request.scope), blockKey: request.blockKey });
      const respond = responder(IterAllForBlockResponseSchema, context, form);
      return iterateAll(callLimitsOf(context), filter, request.resumeToken, request.batchSize, respond);
    },

    iterAllForCourse(request, context) {
      const form = stateFormFromEnum(request.stateForm);
      const filter = operations.iterationFilter({
        kind: "course",
        scope: scopeFromEnum(request.scope),
        courseKey: request.courseKey,
        blockType: request.blockType,
      });
      const respond = responder(IterAllForCourseResponseSchema, context, form);
      return iterateAll(callLimitsOf(context), filter, request.resumeToken, request.batchSize, respond);
    },

    watchChanges(request, context) {
      const filter = watchFilterOf({
        courseKey: request.courseKey,
        blockTypes: request.blockTypes,
        scopes: request.scopes.map(watchedScope),
        username: request.username,
      });
      const start = decodeFeedPosition(resumeTokens, filter, request.resumeToken);
      const respond = createChangeBatchResponder(context.requestHeader.get("content-type"));
      return flatMapStream(feed.watch(callLimitsOf(context), filter, start), (batch) => [respond(batch.changes, encodeFeedPosition(resumeTokens, filter, batch.position))]);
    },

    async retireLearner(request, context) {
      const erased = await operations.retireLearner(callLimitsOf(context), request.username);
      return {
        userStatesErased: BigInt(erased.userStates),
        preferencesErased: BigInt(erased.preferences),
        userInfosErased: BigInt(erased.userInfos),
        historyEntriesErased: BigInt(erased.historyEntries),
      };
    },
  };
}

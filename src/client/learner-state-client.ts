import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { createClient, type CallOptions, type Transport } from "@connectrpc/connect";
import { Scope } from "../../gen/learnerstate/v1/scope_pb.js";
import { FieldSelectionSchema } from "../../gen/learnerstate/v1/user_state_pb.js";
import { UserStateService } from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { installExactTextEncoding } from "../rpc/exact-text-encoding.js";

/** Options of {@link createLearnerStateClient}. */
export interface LearnerStateClientOptions {
  /**
   * Bearer token sent with every call; omit for a server in development mode.
   * It needs `administrator: true` (the LMS's service user), or the scopes of
   * the calls made (`learner_state:read` for get, `learner_state:write` for set
   * and delete) with a filter saying whose state (`user:me`) or which courses
   * (`content_org:<org>`, `course:<course key>`); otherwise calls fail with
   * PERMISSION_DENIED.
   */
  readonly token?: string;
  /** Deadline of each call in milliseconds (none by default). */
  readonly timeoutMs?: number;
  /**
   * The XBlock scope every call reads and writes (default
   * `Scope.USER_STATE`); create one client per scope. In `Scope.PREFERENCES`
   * every block key of a type reaches one state, in `Scope.USER_INFO` every
   * key of a learner does, and in `Scope.USER_STATE_SUMMARY` a block's state
   * is shared by all learners.
   */
  readonly scope?: Scope;
}

/**
 * One learner's state of one block at a time, with values as JavaScript
 * values (JSON.parse / JSON.stringify). Integers beyond 2^53 lose precision
 * in JavaScript numbers: use the generated UserStateService client, whose
 * field values are JSON texts, where that matters.
 */
export interface LearnerStateClient {
  /** The block's fields (only `fieldNames` when given); undefined when the block has no state (never written, or deleted). */
  get(username: string, blockKey: string, fieldNames?: readonly string[]): Promise<Record<string, unknown> | undefined>;
  /** Overlays `fields` on the stored state (creating it when absent); resolves to the new modification time. */
  set(username: string, blockKey: string, fields: Readonly<Record<string, unknown>>): Promise<Date>;
  /** Deletes the block's state, or only `fieldNames`; deleting what does not exist is a no-op. */
  delete(username: string, blockKey: string, fieldNames?: readonly string[]): Promise<void>;
}

/**
 * Creates the client over `transport` (for example
 * `createGrpcTransport({ baseUrl: "http://127.0.0.1:50051" })`). Errors are
 * ConnectErrors with the codes the contract documents. Also makes protobuf-es
 * decode strings exactly (see installExactTextEncoding).
 */
export function createLearnerStateClient(transport: Transport, options: LearnerStateClientOptions = {}): LearnerStateClient {
  installExactTextEncoding();
  const client = createClient(UserStateService, transport);
  const callOptions: CallOptions = {
    ...(options.token === undefined ? {} : { headers: { authorization: `Bearer ${options.token}` } }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  };
  const selection = (fieldNames?: readonly string[]) => (fieldNames === undefined ? undefined : create(FieldSelectionSchema, { fieldNames: [...fieldNames] }));
  const scope = options.scope ?? Scope.USER_STATE;

  return {
    async get(username, blockKey, fieldNames) {
      for await (const batch of client.getMany({ username, scope, blockKeys: [blockKey], fieldSelection: selection(fieldNames) }, callOptions)) {
        const [state] = batch.blockStates;
        if (state !== undefined) return Object.fromEntries(Object.entries(state.fields).map(([name, text]) => [name, JSON.parse(text) as unknown]));
      }
      return undefined;
    },
    async set(username, blockKey, fields) {
      const texts = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, JSON.stringify(value)]));
      const response = await client.setMany({ username, scope, updates: [{ blockKey, fields: texts }] }, callOptions);
      return timestampDate(response.results[0]!.updateTime!);
    },
    async delete(username, blockKey, fieldNames) {
      await client.deleteMany({ username, scope, blockKeys: [blockKey], fieldSelection: selection(fieldNames) }, callOptions);
    },
  };
}

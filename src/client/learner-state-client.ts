import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Scope } from "../../gen/learnerstate/v1/scope_pb.js";
import { FieldSelectionSchema } from "../../gen/learnerstate/v1/user_state_pb.js";
import { createLearnerStateServices, type ConnectionOptions } from "./service-clients.js";

/** Options of {@link createLearnerStateClient}: where the server is, and the scope. */
export interface LearnerStateClientOptions extends ConnectionOptions {
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
 * Creates the client. Calls fail with the LearnerStateError subclasses of
 * `./errors.js`. The token needs `learner_state:read` for get and
 * `learner_state:write` for set and delete, with a filter saying whose state
 * (`user:me`) or which courses; or `administrator: true`.
 */
export function createLearnerStateClient(options: LearnerStateClientOptions): LearnerStateClient {
  const client = createLearnerStateServices(options).userState;
  const selection = (fieldNames?: readonly string[]) => (fieldNames === undefined ? undefined : create(FieldSelectionSchema, { fieldNames: [...fieldNames] }));
  const scope = options.scope ?? Scope.USER_STATE;

  return {
    async get(username, blockKey, fieldNames) {
      for await (const batch of client.getMany({ username, scope, blockKeys: [blockKey], fieldSelection: selection(fieldNames) })) {
        const [state] = batch.blockStates;
        if (state !== undefined) return Object.fromEntries(Object.entries(state.fields).map(([name, text]) => [name, JSON.parse(text) as unknown]));
      }
      return undefined;
    },
    async set(username, blockKey, fields) {
      const texts = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, JSON.stringify(value)]));
      const response = await client.setMany({ username, scope, updates: [{ blockKey, fields: texts }] });
      return timestampDate(response.results[0]!.updateTime!);
    },
    async delete(username, blockKey, fieldNames) {
      await client.deleteMany({ username, scope, blockKeys: [blockKey], fieldSelection: selection(fieldNames) });
    },
  };
}

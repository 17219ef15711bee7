import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Scope } from "../../gen/learnerstate/v1/scope_pb.js";
import { FieldSelectionSchema, StatePreconditionSchema, type BlockState, type StatePrecondition } from "../../gen/learnerstate/v1/user_state_pb.js";
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

/** A block's state as read, with the etag of that version of it. */
export interface VersionedState {
  /** The block's fields (only those asked for, when `fieldNames` was given), as JavaScript values. */
  readonly fields: Record<string, unknown>;
  /**
   * Opaque: names this version of the whole stored state (a field selection
   * does not change it). Changes with every write of the state, even one
   * that leaves the same values. Pass it as `{ ifMatch: etag }` to write only
   * if nobody wrote the state since.
   */
  readonly etag: string;
}

/**
 * What a write requires of the stored state, checked by the server
 * atomically with the write: `{ ifMatch: etag }`, the version an etag of
 * getWithEtag or setWithEtag names (unchanged since, and not deleted), or
 * `{ ifAbsent: true }`, no state at all (never written, or deleted). When it
 * does not hold, nothing is written and the call fails with StateChanged,
 * whose `currentEtags` gives the block's etag now ("" when it has no state).
 */
export type WriteCondition = { readonly ifMatch: string } | { readonly ifAbsent: true };

/** The outcome of {@link LearnerStateClient.setWithEtag}. */
export interface WriteResult {
  /** The state's new modification time. */
  readonly updateTime: Date;
  /** The state's etag after the write: the next conditional write may use it without reading again. */
  readonly etag: string;
}

/**
 * One learner's state of one block at a time, with values as JavaScript
 * values (JSON.parse / JSON.stringify). Integers beyond 2^53 lose precision
 * in JavaScript numbers: use the generated UserStateService client, whose
 * field values are JSON texts, where that matters.
 *
 * A read-modify-write loop that loses no concurrent update:
 *
 * ```ts
 * for (;;) {
 *   const current = await client.getWithEtag(username, blockKey);
 *   const count = (current?.fields["count"] as number | undefined) ?? 0;
 *   try {
 *     await client.set(username, blockKey, { count: count + 1 }, current === undefined ? { ifAbsent: true } : { ifMatch: current.etag });
 *     break;
 *   } catch (error) {
 *     if (!(error instanceof StateChanged)) throw error;
 *   }
 * }
 * ```
 */
export interface LearnerStateClient {
  /** The block's fields (only `fieldNames` when given); undefined when the block has no state (never written, or deleted). */
  get(username: string, blockKey: string, fieldNames?: readonly string[]): Promise<Record<string, unknown> | undefined>;
  /** As {@link get}, with the etag of the version read; undefined when the block has no state (never written, or deleted). */
  getWithEtag(username: string, blockKey: string, fieldNames?: readonly string[]): Promise<VersionedState | undefined>;
  /**
   * Overlays `fields` on the stored state (creating it when absent); resolves
   * to the new modification time. With `condition`, writes only if it holds,
   * and otherwise fails with StateChanged, having written nothing.
   */
  set(username: string, blockKey: string, fields: Readonly<Record<string, unknown>>, condition?: WriteCondition): Promise<Date>;
  /** As {@link set}, resolving to the new modification time and the new etag. */
  setWithEtag(username: string, blockKey: string, fields: Readonly<Record<string, unknown>>, condition?: WriteCondition): Promise<WriteResult>;
  /**
   * Deletes the block's state, or only `fieldNames`; deleting what does not
   * exist is a no-op. With `condition`, deletes only if it holds, and
   * otherwise fails with StateChanged, having deleted nothing.
   */
  delete(username: string, blockKey: string, fieldNames?: readonly string[], condition?: WriteCondition): Promise<void>;
}

/** The contract's StatePrecondition for `condition`; undefined (no condition) when there is none. */
function preconditionOf(condition: WriteCondition | undefined): StatePrecondition | undefined {
  if (condition === undefined) return undefined;
  return create(StatePreconditionSchema, "ifMatch" in condition ? { etag: condition.ifMatch } : { absent: condition.ifAbsent });
}

/** A BlockState's fields as JavaScript values. */
function valuesOf(state: BlockState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state.fields).map(([name, text]) => [name, JSON.parse(text) as unknown]));
}

/**
 * Creates the client. Calls fail with the LearnerStateError subclasses of
 * `./errors.js` (StateChanged for a write whose condition did not hold). The
 * token needs `learner_state:read` for get and `learner_state:write` for set
 * and delete, with a filter saying whose state (`user:me`) or which courses;
 * or `administrator: true`.
 */
export function createLearnerStateClient(options: LearnerStateClientOptions): LearnerStateClient {
  const client = createLearnerStateServices(options).userState;
  const selection = (fieldNames?: readonly string[]) => (fieldNames === undefined ? undefined : create(FieldSelectionSchema, { fieldNames: [...fieldNames] }));
  const scope = options.scope ?? Scope.USER_STATE;

  async function read(username: string, blockKey: string, fieldNames?: readonly string[]): Promise<BlockState | undefined> {
    for await (const batch of client.getMany({ username, scope, blockKeys: [blockKey], fieldSelection: selection(fieldNames) })) {
      const [state] = batch.blockStates;
      if (state !== undefined) return state;
    }
    return undefined;
  }

  async function write(username: string, blockKey: string, fields: Readonly<Record<string, unknown>>, condition: WriteCondition | undefined): Promise<WriteResult> {
    const texts = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, JSON.stringify(value)]));
    const response = await client.setMany({ username, scope, updates: [{ blockKey, fields: texts, precondition: preconditionOf(condition) }] });
    const [result] = response.results;
    return { updateTime: timestampDate(result!.updateTime!), etag: result!.etag };
  }

  return {
    async get(username, blockKey, fieldNames) {
      const state = await read(username, blockKey, fieldNames);
      return state === undefined ? undefined : valuesOf(state);
    },
    async getWithEtag(username, blockKey, fieldNames) {
      const state = await read(username, blockKey, fieldNames);
      return state === undefined ? undefined : { fields: valuesOf(state), etag: state.etag };
    },
    async set(username, blockKey, fields, condition) {
      return (await write(username, blockKey, fields, condition)).updateTime;
    },
    setWithEtag: write,
    async delete(username, blockKey, fieldNames, condition) {
      const precondition = preconditionOf(condition);
      await client.deleteMany({
        username,
        scope,
        blockKeys: [blockKey],
        fieldSelection: selection(fieldNames),
        ...(precondition === undefined ? {} : { preconditions: { [blockKey]: precondition } }),
      });
    },
  };
}

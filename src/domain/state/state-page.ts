import type { PositionedState, StoredState } from "./state-store.js";

/**
 * Current states as UTF-8 bytes, in order: rows as the store read them (for
 * IterAll, straight from PostgreSQL's binary COPY output), so that they can
 * be encoded for the wire without becoming strings and objects first.
 */
export interface StatePage {
  readonly rows: number;
  /** The bytes every field lies in. */
  readonly data: Uint8Array;
  /**
   * Per row, six offsets into `data`: the username's start and end, the
   * key's, and the state JSON object text's (see StoredState.stateJson).
   */
  readonly bounds: Int32Array;
  /** Per row, its position in the iteration order (0 where the read has none, as in GetMany). */
  readonly positions: BigInt64Array;
  /** Per row, when it was last written: microseconds since the epoch. */
  readonly modified: BigInt64Array;
  /**
   * Gives `data` back to the store for reuse, when the store lent it (bulk
   * reads): called once the rows have been copied out (encoded, or made
   * into strings); nothing may read the page after. A page never released
   * is simply collected.
   */
  readonly release?: () => void;
}

/** Offsets per row in {@link StatePage.bounds}. */
export const boundsPerRow = 6;

/** The page of `states`, their texts encoded once into one buffer. */
export function pageOfStates(states: readonly (StoredState | PositionedState)[]): StatePage {
  let size = 0;
  for (const state of states) size += Buffer.byteLength(state.username) + Buffer.byteLength(state.usageKey) + Buffer.byteLength(state.stateJson);
  const data = Buffer.allocUnsafe(size);
  const bounds = new Int32Array(boundsPerRow * states.length);
  const positions = new BigInt64Array(states.length);
  const modified = new BigInt64Array(states.length);
  let offset = 0;
  states.forEach((state, row) => {
    const at = boundsPerRow * row;
    for (const [index, text] of [state.username, state.usageKey, state.stateJson].entries()) {
      bounds[at + 2 * index] = offset;
      offset += data.write(text, offset);
      bounds[at + 2 * index + 1] = offset;
    }
    positions[row] = "position" in state ? state.position : 0n;
    modified[row] = state.modified;
  });
  return { rows: states.length, data, bounds, positions, modified };
}

/** The rows of `page` as strings, for the answers that are built as messages (JSON). */
export function statesOfPage(page: StatePage): PositionedState[] {
  const text = (start: number, end: number) => Buffer.from(page.data.buffer, page.data.byteOffset, page.data.byteLength).toString("utf8", start, end);
  return Array.from({ length: page.rows }, (_, row) => {
    const at = boundsPerRow * row;
    const { bounds } = page;
    return {
      username: text(bounds[at]!, bounds[at + 1]!),
      usageKey: text(bounds[at + 2]!, bounds[at + 3]!),
      stateJson: text(bounds[at + 4]!, bounds[at + 5]!),
      modified: page.modified[row]!,
      position: page.positions[row]!,
    };
  });
}

/** `page` with every row's key replaced by `key` (preferences are stored under the block type, and answered under the block asked for), in bytes of its own: `page` is released. */
export function withKey(page: StatePage, key: string): StatePage {
  const keyBytes = Buffer.from(key, "utf8");
  const data = new Uint8Array(page.data.length + keyBytes.length);
  data.set(page.data);
  data.set(keyBytes, page.data.length);
  const bounds = page.bounds.slice();
  for (let row = 0; row < page.rows; row += 1) {
    bounds[boundsPerRow * row + 2] = page.data.length;
    bounds[boundsPerRow * row + 3] = data.length;
  }
  page.release?.();
  return { rows: page.rows, data, bounds, positions: page.positions, modified: page.modified };
}

import { boundsPerRow, type IterationFilter, type StatePage } from "../domain/state/index.js";
import { wordsOf } from "../buffers/int64-words.js";
import { copyInt8, copyTimestampMicros, locateCopiedRows, locateDataRows, type CopiedRows } from "./binary-copy.js";
import type { ReceivedRows } from "./in-place-result.js";
import { pageSettings, type PageSelection } from "./state-sql.js";

/** The columns of a page statement, in order (see copyStatePageSql). */
const usernameColumn = 0;
const keyColumn = 1;
const positionColumn = 2;
const modifiedColumn = 3;
const stateColumn = 4;
const columns = 5;

/** The settings of a page of `owner`'s history of `key` in `scope`: the `limit` entries before position `before` (null: the newest). */
export function historyPageSettings(owner: string, scope: string, key: string, before: bigint | null, limit: number): Array<[string, string]> {
  return [
    [pageSettings.owner, owner],
    [pageSettings.scope, scope],
    [pageSettings.key, key],
    [pageSettings.before, (before ?? maxPosition).toString()],
    [pageSettings.rows, String(limit)],
  ];
}

/** Larger than any position (int8's maximum). */
const maxPosition = 2n ** 63n - 1n;

/** Which page statement serves `filter`, and the settings it reads. */
export function pageQueryOf(filter: IterationFilter, after: bigint | null, limit: number): { selection: PageSelection; settings: Array<[string, string]> } {
  const settings: Array<[string, string]> = [
    [pageSettings.scope, filter.scope],
    [pageSettings.after, (after ?? 0n).toString()],
    [pageSettings.rows, String(limit)],
  ];
  if (filter.kind === "block") {
    settings.push([pageSettings.key, filter.key]);
    return { selection: "key", settings };
  }
  const [context, otherContext] = filter.contextKeys;
  settings.push([pageSettings.context, context!]);
  if (otherContext !== undefined) settings.push([pageSettings.otherContext, otherContext]);
  if (filter.blockType !== null) settings.push([pageSettings.blockType, filter.blockType]);
  const typed = filter.blockType === null ? "" : "-of-type";
  return { selection: otherContext === undefined ? (`context${typed}` as PageSelection) : (`two-contexts${typed}` as PageSelection), settings };
}

/**
 * The page of states in the binary COPY output of a page or history
 * statement, in place: fields are located, not copied (the jsonb state's
 * version byte is skipped); releasing the page gives the output's buffer back.
 */
export function statePageOfCopy({ bytes, release }: ReceivedRows): StatePage {
  return statePageOf(locateCopiedRows(bytes, columns), release);
}

/** {@link statePageOfCopy} for the binary rows of a statement with the same columns (states read by key). */
export function statePageOfRows({ bytes, release }: ReceivedRows): StatePage {
  return statePageOf(locateDataRows(bytes, columns), release);
}

function statePageOf(copied: CopiedRows, release: () => void): StatePage {
  const bounds = new Int32Array(boundsPerRow * copied.rows);
  const positions = new BigInt64Array(copied.rows);
  const modified = new BigInt64Array(copied.rows);
  const positionWords = wordsOf(positions);
  const modifiedWords = wordsOf(modified);
  const fields = copied.bounds;
  for (let row = 0; row < copied.rows; row += 1) {
    const from = 2 * columns * row;
    const at = boundsPerRow * row;
    bounds[at] = fields[from + 2 * usernameColumn]!;
    bounds[at + 1] = fields[from + 2 * usernameColumn + 1]!;
    bounds[at + 2] = fields[from + 2 * keyColumn]!;
    bounds[at + 3] = fields[from + 2 * keyColumn + 1]!;
    // A NULL state (a deletion, in history) stays -1, -1.
    const stateStart = fields[from + 2 * stateColumn]!;
    bounds[at + 4] = stateStart < 0 ? -1 : stateStart + 1;
    bounds[at + 5] = fields[from + 2 * stateColumn + 1]!;
    copyInt8(copied, row, positionColumn, positionWords, row);
    copyTimestampMicros(copied, row, modifiedColumn, modifiedWords, row);
  }
  // A plain Uint8Array over the same bytes: the encoders slice it per field,
  // and a Buffer's slices are Buffers, several times dearer to make.
  const { data } = copied;
  return { rows: copied.rows, data: new Uint8Array(data.buffer, data.byteOffset, data.length), bounds, positions, modified, release };
}

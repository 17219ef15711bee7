import { boundsPerRow, type StatePage } from "../domain/state/index.js";
import { encodedPages, PageVersions, type EncodedStates, type StateForm } from "./block-state-encoding.js";
import { FieldEntries } from "./field-entries.js";
import { SizedWriter } from "./sized-writer.js";

// Protobuf wire tags.
const tagEntries = 0x0a; // GetHistoryResponse field 1
const tagUsername = 0x0a; // HistoryEntry field 1
const tagBlockKey = 0x12; // HistoryEntry field 2
const tagState = 0x1a; // HistoryEntry field 3, a StateSnapshot
const tagSnapshotField = 0x0a; // StateSnapshot field 1, one map entry each
const tagSnapshotJson = 0x12; // StateSnapshot field 2

/**
 * The `repeated HistoryEntry entries = 1` of GetHistoryResponse, written
 * straight from a history page's bytes as {@link encodeStatePage} writes
 * BlockStates: each entry's username, `blockKey` (the key as the caller gave
 * it, UTF-8), its state as a StateSnapshot (none for a deletion): its
 * fields, or in the JSON-object form its text whole, unscanned; and its
 * time. Any run of consecutive entries is one slice of `bytes`.
 */
export function encodeHistoryPage(page: StatePage, blockKey: Uint8Array, form: StateForm): EncodedStates {
  const writer = new SizedWriter();
  const entries = new FieldEntries();
  const versions = new PageVersions(page);
  const valueBytes: number[] = [];
  const { data } = page;
  let total = 0;
  for (let row = 0; row < page.rows; row += 1) {
    const at = boundsPerRow * row;
    const entrySlot = writer.reserve();
    let length = 0;
    const usernameBytes = page.bounds[at + 1]! - page.bounds[at]!;
    if (usernameBytes > 0) length += writer.measureBytes(usernameBytes);
    if (blockKey.length > 0) length += writer.measureBytes(blockKey.length);
    const stateStart = page.bounds[at + 4]!;
    if (stateStart >= 0 && form === "json-object") {
      const stateBytes = page.bounds[at + 5]! - stateStart;
      length += writer.fill(writer.reserve(), writer.measureBytes(stateBytes));
      valueBytes.push(stateBytes);
    } else if (stateStart >= 0) {
      const snapshotSlot = writer.reserve();
      length += writer.fill(snapshotSlot, entries.measure(data, stateStart, page.bounds[at + 5]!));
      valueBytes.push(entries.valueBytes());
    } else {
      valueBytes.push(0);
    }
    length += writer.fill(writer.reserve(), versions.timestampLength(row));
    total += writer.fill(entrySlot, length);
  }
  writer.start(total, encodedPages);
  const ends: number[] = [];
  for (let row = 0; row < page.rows; row += 1) {
    const at = boundsPerRow * row;
    writer.nested(tagEntries);
    if (page.bounds[at + 1]! > page.bounds[at]!) writer.bytesField(tagUsername, data, page.bounds[at]!, page.bounds[at + 1]!);
    if (blockKey.length > 0) writer.bytesField(tagBlockKey, blockKey, 0, blockKey.length);
    if (page.bounds[at + 4]! >= 0) {
      writer.nested(tagState);
      if (form === "json-object") writer.bytesField(tagSnapshotJson, data, page.bounds[at + 4]!, page.bounds[at + 5]!);
      else entries.write(writer, data, tagSnapshotField);
    }
    versions.writeTimestamp(writer, row);
    ends.push(writer.offset);
  }
  const bytes = writer.slice(0);
  writer.finish();
  entries.release();
  return { bytes, ends, valueBytes, release: writer.release() };
}

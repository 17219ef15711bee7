import { forEachStateField, type StateFieldSink } from "../domain/state/index.js";
import { varintLength, type SizedWriter } from "./sized-writer.js";

// Protobuf wire tags of a map<string, string> entry.
const tagEntryKey = 0x0a; // field 1
const tagEntryValue = 0x12; // field 2

/** Bytes of a length-delimited field (tag, length, body) whose body is `length` bytes, the tag one byte. */
const fieldBytes = (length: number) => 1 + varintLength(length) + length;

/** The offsets array of the last finished encoding, for the next one (encoding is synchronous). */
let spareOffsets: Int32Array | null = null;

/**
 * The `map<string, string>` entries of the states being encoded, one state
 * after the other, each state's JSON text scanned once for its fields'
 * bounds. Measuring records four offsets per field in one growing typed
 * array (and, for the rare name with escapes, its unescaped UTF-8 bytes);
 * writing replays them, the entries' lengths computed again from the
 * offsets rather than stored, and names and values copied from the text.
 * Map entries follow the order of the stored text.
 */
export class FieldEntries implements StateFieldSink {
  private offsets = spareOffsets ?? new Int32Array(4096);
  private fields = 0;
  private readonly unescapedNames = new Map<number, Uint8Array>();
  private readonly fieldsPerState: number[] = [];
  private statesWritten = 0;
  private fieldsWritten = 0;
  private measuredLength = 0;
  private measuredValueBytes = 0;

  constructor() {
    spareOffsets = null;
  }

  /**
   * Scans the state JSON text in `data` from `start` to `end` and records its
   * fields; returns the bytes of their entries, each a nested field (tag,
   * length, entry). {@link valueBytes} then gives the bytes of their values.
   */
  measure(data: Uint8Array, start: number, end: number): number {
    const first = this.fields;
    this.measuredLength = 0;
    this.measuredValueBytes = 0;
    forEachStateField(data, start, end, this);
    this.fieldsPerState.push(this.fields - first);
    return this.measuredLength;
  }

  /** Bytes of the values of the state measured last. */
  valueBytes(): number {
    return this.measuredValueBytes;
  }

  /** Records one field (see {@link StateFieldSink}); called by the scan. */
  field(escapedName: string | null, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): void {
    const at = this.fields * 4;
    if (at + 4 > this.offsets.length) {
      const larger = new Int32Array(this.offsets.length * 2);
      larger.set(this.offsets);
      this.offsets = larger;
    }
    this.offsets[at] = nameStart;
    this.offsets[at + 1] = nameEnd;
    this.offsets[at + 2] = valueStart;
    this.offsets[at + 3] = valueEnd;
    let nameBytes = nameEnd - nameStart;
    if (escapedName !== null) {
      const name = Buffer.from(escapedName, "utf8");
      this.unescapedNames.set(this.fields, new Uint8Array(name.buffer, name.byteOffset, name.length));
      nameBytes = name.length;
    }
    this.fields += 1;
    this.measuredLength += fieldBytes(fieldBytes(nameBytes) + fieldBytes(valueEnd - valueStart));
    this.measuredValueBytes += valueEnd - valueStart;
  }

  /** Writes the entries of the next state measured, each a nested field `entryTag`, from `data`, the bytes it was measured in. */
  write(writer: SizedWriter, data: Uint8Array, entryTag: number): void {
    const { offsets } = this;
    const count = this.fieldsPerState[this.statesWritten++]!;
    const anyEscaped = this.unescapedNames.size > 0;
    for (let written = 0; written < count; written += 1) {
      const index = this.fieldsWritten++;
      const at = index * 4;
      const unescaped = anyEscaped ? this.unescapedNames.get(index) : undefined;
      const nameSource = unescaped ?? data;
      const nameStart = unescaped === undefined ? offsets[at]! : 0;
      const nameEnd = unescaped === undefined ? offsets[at + 1]! : unescaped.length;
      const valueStart = offsets[at + 2]!;
      const valueEnd = offsets[at + 3]!;
      writer.tagAndLength(entryTag, fieldBytes(nameEnd - nameStart) + fieldBytes(valueEnd - valueStart));
      writer.tagAndLength(tagEntryKey, nameEnd - nameStart);
      writer.copy(nameSource, nameStart, nameEnd);
      writer.tagAndLength(tagEntryValue, valueEnd - valueStart);
      writer.copy(data, valueStart, valueEnd);
    }
  }

  /** Gives the offsets array to the next encoding; this one is not used after. */
  release(): void {
    if (this.offsets.length <= 1 << 20) spareOffsets = this.offsets;
  }
}

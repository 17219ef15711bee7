import type pg from "pg";
import { InPlaceResult, type MessageKind } from "./in-place-result.js";

// Backend message types (PostgreSQL's frontend/backend protocol).
const copyDataType = 0x64; // 'd'
const copyDoneType = 0x63; // 'c'

/**
 * One `COPY … TO STDOUT`, its output received in place (see
 * {@link InPlaceResult}): PostgreSQL sends it as one CopyData message per
 * row, and `rows` is their bodies one after the other, the COPY's output.
 * Notices and other asynchronous messages that arrive during the COPY are
 * dropped.
 */
export class CopyOut extends InPlaceResult {
  constructor(private readonly text: string) {
    super();
  }

  protected send(connection: pg.Connection): void {
    connection.query(this.text);
  }

  protected kindOf(type: number): MessageKind {
    if (type === copyDataType) return "row";
    // CopyDone has no body; CommandComplete and ReadyForQuery follow, for pg.
    if (type === copyDoneType) return "end-after";
    return "skip";
  }
}

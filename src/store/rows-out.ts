import type pg from "pg";
import { InPlaceResult, type MessageKind } from "./in-place-result.js";

// Backend message types (PostgreSQL's frontend/backend protocol).
const parseCompleteType = 0x31; // '1'
const dataRowType = 0x44; // 'D'
const commandCompleteType = 0x43; // 'C'

/** The parts of pg's connection a prepared statement is sent with, and pg's record of the statements prepared on it (kept as pg's own queries keep it). */
interface PreparingConnection {
  readonly stream: { cork?(): void; uncork?(): void };
  readonly parsedStatements: Record<string, string>;
  readonly submittedNamedStatements: Record<string, string>;
  parse(config: { name: string; text: string; types: [] }): void;
  bind(config: { statement: string; values: ReadonlyArray<string | null>; binary: true }): void;
  execute(config: Record<string, never>): void;
  sync(): void;
}

/**
 * One run of the named prepared statement `name` (`text`, parsed on the
 * connection the first time, as pg's own named queries are) with every
 * result column in binary format, its rows received in place (see
 * {@link InPlaceResult}): a DataRow's body is laid out as a row of binary
 * COPY (field count, then each field's length and bytes), and `rows` is the
 * bodies one after the other. `values` are bound as text (null: SQL NULL).
 */
export class RowsOut extends InPlaceResult {
  /** The connection once sent on, whose record of prepared statements this keeps. */
  private connection: PreparingConnection | null = null;

  constructor(
    /** Read by pg too: it forgets a statement submitted here whose preparation failed. */
    readonly name: string,
    private readonly text: string,
    private readonly values: ReadonlyArray<string | null>,
  ) {
    super();
  }

  protected send(pgConnection: pg.Connection): void {
    const connection = pgConnection as unknown as PreparingConnection;
    const { name, text } = this;
    connection.stream.cork?.();
    try {
      if (connection.parsedStatements[name] === undefined && connection.submittedNamedStatements[name] === undefined) {
        connection.parse({ name, text, types: [] });
        connection.submittedNamedStatements[name] = text;
      }
      connection.bind({ statement: name, values: this.values, binary: true });
      connection.execute({});
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    this.connection = connection;
  }

  protected kindOf(type: number): MessageKind {
    if (type === dataRowType) return "row";
    if (type === commandCompleteType) return "end-with";
    if (type === parseCompleteType && this.connection !== null) {
      // pg's parser, which would note this, does not see it.
      this.connection.parsedStatements[this.name] = this.text;
      delete this.connection.submittedNamedStatements[this.name];
    }
    return "skip";
  }
}

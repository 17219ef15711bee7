/** The learner-state figures of one response message, for metrics. */
export interface ResponseFigures {
  /** Block states it carries. */
  readonly blocks: number;
  /** Bytes of their field values (UTF-8 JSON texts). */
  readonly stateBytes: number;
}

// A binary response (see block-states-response.ts) carries its states as
// bytes, which metrics cannot read back, so every response built of block
// states has its figures kept beside it when it is built.
const recordedFigures = new WeakMap<object, ResponseFigures>();

/** Records the figures of a response message built of block states. */
export function recordFigures(message: object, figures: ResponseFigures): void {
  recordedFigures.set(message, figures);
}

/** The figures of a response built of block states; null for other responses. */
export function figuresOfResponse(message: unknown): ResponseFigures | null {
  return typeof message === "object" && message !== null ? (recordedFigures.get(message) ?? null) : null;
}

/** Bytes of the UTF-8 encoding of a state's field values. */
export function valueBytes(fields: Readonly<Record<string, string>>): number {
  let bytes = 0;
  for (const name in fields) bytes += Buffer.byteLength(fields[name]!, "utf8");
  return bytes;
}

/** The learner-state figures of one response message, for metrics. */
export interface ResponseFigures {
  /** Block states it carries. */
  readonly blocks: number;
  /** Bytes of their field values (UTF-8 JSON texts). */
  readonly stateBytes: number;
}

// A pre-encoded response (see block-states-response.ts) carries its states as
// bytes, which metrics cannot read back; their figures are kept beside it.
const preEncodedFigures = new WeakMap<object, ResponseFigures>();

/** Records the figures of a pre-encoded response message. */
export function recordFigures(message: object, figures: ResponseFigures): void {
  preEncodedFigures.set(message, figures);
}

/** The figures of any response that holds block states, pre-encoded or not; null for other responses. */
export function figuresOfResponse(message: unknown): ResponseFigures | null {
  if (typeof message !== "object" || message === null) return null;
  const recorded = preEncodedFigures.get(message);
  if (recorded !== undefined) return recorded;
  const states = (message as { blockStates?: unknown }).blockStates;
  if (!Array.isArray(states)) return null;
  return { blocks: states.length, stateBytes: (states as Array<{ fields: Record<string, string> }>).reduce((sum, state) => sum + valueBytes(state.fields), 0) };
}

/** Bytes of the UTF-8 encoding of a state's field values. */
export function valueBytes(fields: Readonly<Record<string, string>>): number {
  let bytes = 0;
  for (const name in fields) bytes += Buffer.byteLength(fields[name]!, "utf8");
  return bytes;
}

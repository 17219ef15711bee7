import { StateForm, type BlockState } from "../client/index.js";

/** A column of an export: its name and the type a Parquet file gives it (CSV and JSON Lines write the values as they are). */
export interface ExportColumn {
  readonly name: string;
  readonly type: "STRING" | "JSON" | "INT64" | "DOUBLE";
}

/**
 * A value of a row: text, a number, null (missing), or `{ json }`: a JSON
 * text as stored, which JSON Lines embeds as it is and CSV and Parquet write
 * as text, so nothing is re-encoded (big integers and `1.0` survive).
 */
export type ExportValue = string | number | null | { readonly json: string };

/** The shape of an export: its columns, the state form it reads, and the row (or none) each stored state gives. */
export interface ExportTable {
  readonly columns: readonly ExportColumn[];
  /** How it asks IterAllForCourse for states: whole (state_json), or field by field. */
  readonly stateForm: StateForm;
  rowOf(state: BlockState): ExportValue[] | null;
}

const secondsPerDay = 86_400;
const twoDigits = (value: number) => (value < 10 ? `0${value}` : String(value));

/** The day last formatted by {@link updatedText} and its `YYYY-MM-DDT`: rows of an export mostly share few days. */
let lastDay = { day: Number.NaN, text: "" };

/**
 * RFC 3339 with microseconds, as the service keeps modification times. The
 * date comes from Date once per day met; the time of day and the fraction
 * are computed (Date holds only milliseconds). Runs once per exported row.
 */
function updatedText(state: BlockState): string | null {
  const time = state.updateTime;
  if (time === undefined) return null;
  const seconds = Number(time.seconds);
  const day = Math.floor(seconds / secondsPerDay);
  if (day !== lastDay.day) lastDay = { day, text: new Date(day * secondsPerDay * 1000).toISOString().slice(0, -13) };
  const ofDay = seconds - day * secondsPerDay;
  const clock = `${twoDigits(Math.floor(ofDay / 3600))}:${twoDigits(Math.floor(ofDay / 60) % 60)}:${twoDigits(ofDay % 60)}`;
  return `${lastDay.text}${clock}.${String(Math.floor(time.nanos / 1000)).padStart(6, "0")}Z`;
}

/** Every stored state: who, which block, when, and the whole state as JSON, the stored text as it is. */
export const stateTable: ExportTable = {
  columns: [
    { name: "username", type: "STRING" },
    { name: "block_key", type: "STRING" },
    { name: "updated", type: "STRING" },
    { name: "state", type: "JSON" },
  ],
  stateForm: StateForm.JSON_OBJECT,
  rowOf: (state) => [state.username, state.blockKey, updatedText(state), { json: state.stateJson }],
};

function parsed(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const numberOrNull = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);

/**
 * The problem responses report: one row per (learner, problem) with the
 * capa fields the LMS report is made of. `score` and `max_score` are the
 * state's `score.raw_earned` and `score.raw_possible`. A state with none of
 * `student_answers`, `attempts` and `score` (a problem only viewed) gives no
 * row; a missing value is empty (null).
 */
export const answersTable: ExportTable = {
  columns: [
    { name: "username", type: "STRING" },
    { name: "block_key", type: "STRING" },
    { name: "attempts", type: "INT64" },
    { name: "score", type: "DOUBLE" },
    { name: "max_score", type: "DOUBLE" },
    { name: "student_answers", type: "JSON" },
    { name: "updated", type: "STRING" },
  ],
  stateForm: StateForm.FIELDS,
  rowOf: (state) => {
    const answers = state.fields["student_answers"];
    const attempts = parsed(state.fields["attempts"]);
    const score = parsed(state.fields["score"]) as { raw_earned?: unknown; raw_possible?: unknown } | undefined;
    if (answers === undefined && attempts === undefined && score === undefined) return null;
    return [
      state.username,
      state.blockKey,
      typeof attempts === "number" && Number.isSafeInteger(attempts) ? attempts : null,
      numberOrNull(score?.raw_earned),
      numberOrNull(score?.raw_possible),
      answers === undefined ? null : { json: answers },
      updatedText(state),
    ];
  },
};

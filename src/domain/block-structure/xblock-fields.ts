import { invalidArgument } from "../errors.js";
import type { BlockStructure } from "./block-structure.js";

/** The JSON type each XBlock field the transformers read must have (null always allowed). */
const fieldKinds = {
  start: "date",
  due: "date",
  end: "date",
  visible_to_staff_only: "boolean",
  hide_after_due: "boolean",
  self_paced: "boolean",
  hide_from_toc: "boolean",
  has_score: "boolean",
  graded: "boolean",
  weight: "number",
  max_score: "number",
  max_count: "integer",
  display_name: "string",
  format: "string",
} as const;

type FieldKind = (typeof fieldKinds)[keyof typeof fieldKinds];

// XBlock's Date field writes ISO 8601 date-times; one without an offset is UTC.
const dateTime = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/u;

/** Epoch milliseconds of an XBlock date-time string; null when it is not one. */
export function parseXBlockDate(text: string): number | null {
  const match = dateTime.exec(text);
  if (match === null) return null;
  const [, year, month, day, hour, minute, second = "00", fraction = "", offset = "Z"] = match;
  const milliseconds = fraction === "" ? "" : `.${fraction.slice(1, 4).padEnd(3, "0")}`;
  const value = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}${milliseconds}${offset}`);
  if (Number.isNaN(value)) return null;
  // Date.parse rolls 2026-02-30 over into March; such a date is not one.
  const check = new Date(Date.parse(`${year}-${month}-${day}T00:00:00Z`));
  return check.getUTCDate() === Number(day) && check.getUTCMonth() + 1 === Number(month) ? value : null;
}

function fits(kind: FieldKind, value: unknown): boolean {
  if (value === null) return true;
  switch (kind) {
    case "date":
      return typeof value === "string" && parseXBlockDate(value) !== null;
    case "boolean":
      return typeof value === "boolean";
    case "number":
      return typeof value === "number";
    case "integer":
      return Number.isInteger(value);
    case "string":
      return typeof value === "string";
  }
}

const descriptions: Record<FieldKind, string> = {
  date: "a date-time string (YYYY-MM-DDTHH:MM[:SS[.frac]][Z|±HH:MM]) or null",
  boolean: "true, false or null",
  number: "a number or null",
  integer: "an integer or null",
  string: "a string or null",
};

/**
 * Checks the JSON value `text` (already checked to be JSON) of the XBlock
 * field `name` against the type the transformers read it as; fields they do
 * not read pass. Throws INVALID_ARGUMENT (INVALID_XBLOCK_FIELD) naming `field`.
 */
export function checkXBlockField(name: string, text: string, field: string): void {
  if (!Object.hasOwn(fieldKinds, name)) return;
  const kind = fieldKinds[name as keyof typeof fieldKinds];
  if (!fits(kind, JSON.parse(text))) throw invalidArgument("INVALID_XBLOCK_FIELD", field, `${name} must be ${descriptions[kind]}`, { name });
}

/** The block's date field as epoch milliseconds; null when unset or null. */
export function dateFieldOf(structure: BlockStructure, blockKey: string, name: "start" | "due" | "end"): number | null {
  const value = structure.fieldOf(blockKey, name);
  return typeof value === "string" ? parseXBlockDate(value) : null;
}

/** The block's boolean field; false when unset or null (every such XBlock field defaults to false). */
export function booleanFieldOf(structure: BlockStructure, blockKey: string, name: "visible_to_staff_only" | "hide_after_due" | "self_paced" | "hide_from_toc" | "has_score" | "graded"): boolean {
  return structure.fieldOf(blockKey, name) === true;
}

/** The block's number field; null when unset or null. */
export function numberFieldOf(structure: BlockStructure, blockKey: string, name: "weight" | "max_score" | "max_count"): number | null {
  const value = structure.fieldOf(blockKey, name);
  return typeof value === "number" ? value : null;
}

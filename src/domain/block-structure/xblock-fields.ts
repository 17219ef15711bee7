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
  user_partitions: "user-partitions",
  group_access: "group-access",
  user_partition_id: "integer",
  group_id_to_child: "group-id-to-child",
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

/** An integer id as XBlock's Integer field and partition JSON hold it (a safe integer). */
const isId = (value: unknown): value is number => Number.isSafeInteger(value);
/** A partition id as a group_access key: the decimal text of an integer (XBlock's GroupAccessDict reads keys with int()). */
const isIdText = (text: string) => /^-?\d{1,15}$/u.test(text);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** One entry of `user_partitions`, as UserPartition.to_json writes it (the keys read; others pass). */
function isPartition(value: unknown): boolean {
  if (!isObject(value) || !isId(value["id"]) || !Array.isArray(value["groups"])) return false;
  if (value["active"] !== undefined && typeof value["active"] !== "boolean") return false;
  return value["groups"].every((group) => isObject(group) && isId(group["id"]));
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
      return isId(value);
    case "string":
      return typeof value === "string";
    case "user-partitions":
      return Array.isArray(value) && value.every(isPartition);
    case "group-access":
      return isObject(value) && Object.entries(value).every(([key, groups]) => isIdText(key) && (groups === null || (Array.isArray(groups) && groups.every(isId))));
    case "group-id-to-child":
      return isObject(value) && Object.values(value).every((child) => typeof child === "string");
  }
}

const descriptions: Record<FieldKind, string> = {
  date: "a date-time string (YYYY-MM-DDTHH:MM[:SS[.frac]][Z|±HH:MM]) or null",
  boolean: "true, false or null",
  number: "a number or null",
  integer: "an integer or null",
  string: "a string or null",
  "user-partitions": 'a list of partitions ({"id": integer, "groups": [{"id": integer, …}], "active": boolean, …}) or null',
  "group-access": 'an object of partition ids to lists of group ids ({"50": [1, 2]}; a list may be null) or null',
  "group-id-to-child": 'an object of group ids to usage keys ({"0": "block-v1:…"}) or null',
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
export function numberFieldOf(structure: BlockStructure, blockKey: string, name: "weight" | "max_score" | "max_count" | "user_partition_id"): number | null {
  const value = structure.fieldOf(blockKey, name);
  return typeof value === "number" ? value : null;
}

/** A partition of the course, as `user_partitions` declares it. */
export interface UserPartition {
  readonly id: number;
  /** False only when the JSON says `"active": false` (UserPartition.from_json's default is active). */
  readonly active: boolean;
  readonly groupIds: readonly number[];
}

/** The root's `user_partitions` field; empty when unset or null. */
export function userPartitionsOf(structure: BlockStructure, blockKey: string): UserPartition[] {
  const value = structure.fieldOf(blockKey, "user_partitions");
  if (!Array.isArray(value)) return [];
  return value.map((partition: { id: number; active?: boolean; groups: Array<{ id: number }> }) => ({
    id: partition.id,
    active: partition.active !== false,
    groupIds: partition.groups.map((group) => group.id),
  }));
}

/**
 * The block's own `group_access`: partition id to the group ids it lists;
 * null lists and unset or null fields give no entry.
 */
export function groupAccessOf(structure: BlockStructure, blockKey: string): Map<number, number[]> {
  const value = structure.fieldOf(blockKey, "group_access") as Record<string, number[] | null> | null | undefined;
  const access = new Map<number, number[]>();
  for (const [partition, groups] of Object.entries(value ?? {})) if (groups !== null) access.set(Number(partition), groups);
  return access;
}

/** The `group_id_to_child` of a split_test block: group id text to a usage key text; empty when unset or null. */
export function groupIdToChildOf(structure: BlockStructure, blockKey: string): Readonly<Record<string, string>> {
  return (structure.fieldOf(blockKey, "group_id_to_child") as Record<string, string> | null | undefined) ?? {};
}

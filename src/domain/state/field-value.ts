import { invalidArgument } from "../errors.js";
import { limits } from "./limits.js";

/** Deepest nesting of arrays and objects a field value may have. */
export const maxJsonDepth = 100;

/**
 * Checks that `text` is one JSON value that PostgreSQL `jsonb` stores without
 * loss: valid JSON, no `\u0000` and no unpaired surrogate in any string or
 * key, every number within the range of a double, nesting at most
 * {@link maxJsonDepth}. Throws INVALID_ARGUMENT naming `field` otherwise.
 */
export function checkFieldValue(text: string, field: string): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidArgument("INVALID_FIELD_VALUE", field, "value is not a JSON text");
  }
  // An explicit stack instead of recursion: a hostile value may nest deeper
  // than the JavaScript call stack allows.
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const current = item.value;
    if (typeof current === "string") {
      checkJsonString(current, field);
    } else if (typeof current === "number") {
      if (!Number.isFinite(current)) {
        throw invalidArgument("INVALID_FIELD_VALUE", field, "number is beyond the range of a double");
      }
    } else if (current !== null && typeof current === "object") {
      if (item.depth >= maxJsonDepth) {
        throw invalidArgument("INVALID_FIELD_VALUE", field, `value nests deeper than ${maxJsonDepth} levels`);
      }
      const children = Array.isArray(current) ? current : Object.values(current);
      if (!Array.isArray(current)) for (const key of Object.keys(current)) checkJsonString(key, field);
      for (const child of children) pending.push({ value: child, depth: item.depth + 1 });
    }
  }
}

function checkJsonString(text: string, field: string): void {
  if (text.includes("\u0000")) {
    throw invalidArgument("INVALID_FIELD_VALUE", field, "JSON strings may not contain \\u0000");
  }
  if (!text.isWellFormed()) {
    throw invalidArgument("INVALID_FIELD_VALUE", field, "JSON strings may not contain unpaired surrogates");
  }
}

/**
 * Checks a field name: non-empty, at most {@link limits.maxFieldNameLength}
 * characters, no NUL and no unpaired surrogate (PostgreSQL text holds neither).
 */
export function checkFieldName(name: string, field: string): void {
  if (name.length === 0) throw invalidArgument("INVALID_FIELD_NAME", field, "field name must not be empty");
  if (name.length > limits.maxFieldNameLength) {
    throw invalidArgument("INVALID_FIELD_NAME", field, `field name is longer than ${limits.maxFieldNameLength} characters`);
  }
  if (name.includes("\u0000") || !name.isWellFormed()) {
    throw invalidArgument("INVALID_FIELD_NAME", field, "field name contains NUL or an unpaired surrogate");
  }
}

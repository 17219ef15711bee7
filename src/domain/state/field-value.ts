import { LearnerStateError, invalidArgument } from "../errors.js";
import { fixedLimits, type StateLimits } from "./limits.js";

/**
 * Checks that `text` is one JSON value that PostgreSQL `jsonb` stores without
 * loss: valid JSON, no `\u0000` and no unpaired surrogate in any string or
 * key, every number within the range of a double, nesting at most
 * `limits.maxJsonDepth`. Throws INVALID_ARGUMENT naming `field` otherwise, and
 * RESOURCE_EXHAUSTED when the text is longer than `limits.maxValueBytes`.
 */
export function checkFieldValue(text: string, field: string, limits: StateLimits): void {
  const bytes = Buffer.byteLength(text);
  if (bytes > limits.maxValueBytes) {
    throw new LearnerStateError("resource-exhausted", "FIELD_TOO_LARGE", `${field}: value is ${bytes} bytes; at most ${limits.maxValueBytes} are allowed`, {
      field,
      bytes: String(bytes),
      max: String(limits.maxValueBytes),
    });
  }
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
      if (item.depth >= limits.maxJsonDepth) {
        throw invalidArgument("INVALID_FIELD_VALUE", field, `value nests deeper than ${limits.maxJsonDepth} levels`);
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
 * Checks a field name: non-empty, at most {@link fixedLimits.maxFieldNameLength}
 * characters, no NUL and no unpaired surrogate (PostgreSQL text holds neither).
 */
export function checkFieldName(name: string, field: string): void {
  if (name.length === 0) throw invalidArgument("INVALID_FIELD_NAME", field, "field name must not be empty");
  if (name.length > fixedLimits.maxFieldNameLength) {
    throw invalidArgument("INVALID_FIELD_NAME", field, `field name is longer than ${fixedLimits.maxFieldNameLength} characters`);
  }
  if (name.includes("\u0000") || !name.isWellFormed()) {
    throw invalidArgument("INVALID_FIELD_NAME", field, "field name contains NUL or an unpaired surrogate");
  }
}

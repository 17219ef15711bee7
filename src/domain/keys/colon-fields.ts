import type { CharClass } from "./char-class.js";
import { InvalidKeyError } from "./invalid-key-error.js";

/**
 * Python `CheckFieldMixin._check_key_string_field`: a non-empty value matching
 * `^[…]+$`, where `$` also accepts one trailing newline. Returns the problem, or
 * undefined if the value is valid.
 */
export function stringFieldProblem(field: string, value: string, chars: CharClass): string | undefined {
  if (chars.matchesAllBeforeFinalNewline(value)) return undefined;
  return chars.explain(field, value.endsWith("\n") ? value.slice(0, -1) : value) ?? `invalid ${field}`;
}

/** Splits `body` on every `:` into exactly `count` fields, or throws InvalidKeyError naming the expected shape. */
export function splitColonFields(body: string, input: string, count: number, shape: string): string[] {
  const fields = body.split(":", count + 1);
  if (fields.length !== count) throw new InvalidKeyError(input, `expected ${shape}`);
  return fields;
}

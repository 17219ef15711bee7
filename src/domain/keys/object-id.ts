import { HEX_CHARS } from "./char-class.js";

/**
 * Normalizes a version or definition id the way `bson.ObjectId(value)` does: exactly 24
 * hex digits (either case) give the lowercase form; anything else gives null.
 */
export function toObjectId(value: string): string | null {
  return value.length === 24 && HEX_CHARS.matchesAll(value) ? value.toLowerCase() : null;
}

import { InvalidKeyError } from "./invalid-key-error.js";
import { KeyOperationError } from "./key-operation-error.js";
import type { Key } from "./key-types.js";

/** A value in a key description: strings, booleans, null (Python `None`) and, for bundle versions, integers. */
export type KeyPartValue = string | number | boolean | null;

/** The parts of a key as the Python library exposes them (snake_case attribute names). */
export type KeyParts = Record<string, KeyPartValue>;

/** Computes one part: a plain value, or a nested key that is described by its string form. */
export type PartSource = () => KeyPartValue | Key;

/**
 * Runs `compute` and returns its result, or undefined if it failed the way the Python
 * library fails there (an {@link InvalidKeyError} or {@link KeyOperationError}).
 * Any other exception is a bug and propagates.
 */
export function unlessUnsupported<T>(compute: () => T): T | undefined {
  try {
    return compute();
  } catch (error) {
    if (error instanceof InvalidKeyError || error instanceof KeyOperationError) return undefined;
    throw error;
  }
}

function sameValue(left: unknown, right: unknown): boolean {
  if (left instanceof OpaqueKey) return left.equals(right);
  return left === right;
}

/**
 * Base of every key class: an immutable value with a canonical string form, value
 * equality and a description of its parts. Subclasses register themselves with the
 * key registry under their namespace prefix.
 */
export abstract class OpaqueKey {
  /** The Python class this key corresponds to, e.g. `CourseLocator`. */
  abstract readonly className: string;
  /** The canonical namespace prefix (Python `CANONICAL_NAMESPACE`), e.g. `course-v1`. */
  abstract readonly namespace: string;
  /** True for keys in a deprecated form (`org/course/run`, `i4x://`, `/c4x/`, bare block types). */
  abstract readonly deprecated: boolean;

  /** The canonical string form. Throws only for keys that have none (see the subclass). */
  abstract toString(): string;

  /** The values that make up this key's identity (Python `KEY_FIELDS`). */
  protected abstract identity(): readonly unknown[];

  /** The Python-visible attributes of this key, each computed on demand. */
  protected abstract partSources(): Readonly<Record<string, PartSource>>;

  /** True if `other` is a key of the same class with equal fields; false for anything else. */
  equals(other: unknown): boolean {
    if (!(other instanceof OpaqueKey) || other.constructor !== this.constructor) return false;
    if (other.deprecated !== this.deprecated || other.namespace !== this.namespace) return false;
    const mine = this.identity();
    const theirs = other.identity();
    return mine.length === theirs.length && mine.every((value, index) => sameValue(value, theirs[index]));
  }

  /**
   * The Python-visible attributes of this key, snake_case, with nested keys given as
   * strings. An attribute is absent where the key has none, or where computing it fails
   * the way it fails in Python (e.g. the string form of an `i4x://` key's course key).
   */
  describeParts(): KeyParts {
    const parts: KeyParts = {};
    for (const [name, source] of Object.entries(this.partSources())) {
      const value = unlessUnsupported(() => {
        const computed = source();
        return typeof computed === "object" && computed !== null ? computed.toString() : computed;
      });
      if (value !== undefined) parts[name] = value;
    }
    return parts;
  }
}

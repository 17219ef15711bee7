// The registry from namespace prefix to key class, per parser family: the counterpart
// of the Python library's entry points. Key classes register themselves when their
// module loads (installed-key-classes.ts loads them all); nothing here names a class.
import { InvalidKeyError } from "./invalid-key-error.js";
import type { KeyFamily } from "./key-family.js";
import type { KeyFamilyTypes } from "./key-types.js";
import type { OpaqueKey } from "./opaque-key.js";

/**
 * Inputs longer than this (in UTF-16 code units) are rejected before any parsing.
 * Real keys are far shorter (edx-platform stores them in 255-character columns);
 * the Python library has no limit.
 */
export const MAX_KEY_LENGTH = 32_768;

type UnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void
  ? I
  : never;

/** The key type a class must have to be registered for all of `F`. */
export type KeyOfFamilies<F extends KeyFamily> = OpaqueKey & UnionToIntersection<KeyFamilyTypes[F]>;

/** A key class's entry for one namespace prefix. */
export interface KeyClassRegistration<F extends KeyFamily = KeyFamily> {
  /** The prefix before the first `:` that selects this class (e.g. `course-v1`, or the alias `slashes`). */
  readonly namespace: string;
  /** The Python class name, e.g. `CourseLocator`. */
  readonly className: string;
  /** The parser families that accept this namespace. */
  readonly families: readonly F[];
  /** Parses `body`, the input after the first `:`; throws InvalidKeyError. */
  parse(body: string, input: string): KeyOfFamilies<F>;
}

/** A family's deprecated fallback: tried on the whole input when the namespace route fails. */
export interface DeprecatedFallbackRegistration<F extends KeyFamily = KeyFamily> {
  readonly family: F;
  /** The Python class name of the fallback class. */
  readonly className: string;
  /** The deprecated form, for error messages (e.g. `org/course/run`). */
  readonly form: string;
  /** Parses the whole input; throws InvalidKeyError. */
  parse(input: string): KeyOfFamilies<F>;
}

const namespaces = new Map<KeyFamily, Map<string, KeyClassRegistration>>();
const fallbacks = new Map<KeyFamily, DeprecatedFallbackRegistration>();

/** Registers a key class under its namespace for each of its families. Throws Error on a duplicate namespace. */
export function registerKeyClass<F extends KeyFamily>(registration: KeyClassRegistration<F>): void {
  for (const family of registration.families) {
    let byNamespace = namespaces.get(family);
    if (byNamespace === undefined) namespaces.set(family, (byNamespace = new Map()));
    if (byNamespace.has(registration.namespace)) {
      throw new Error(`namespace ${registration.namespace} is already registered for ${family}`);
    }
    byNamespace.set(registration.namespace, registration as unknown as KeyClassRegistration);
  }
}

/** Registers the deprecated fallback of a family. Throws Error if it already has one (as Python does). */
export function registerDeprecatedFallback<F extends KeyFamily>(registration: DeprecatedFallbackRegistration<F>): void {
  if (fallbacks.has(registration.family)) {
    throw new Error(`${registration.family} already has a deprecated fallback`);
  }
  fallbacks.set(registration.family, registration as unknown as DeprecatedFallbackRegistration);
}

/** The registered namespaces of a family and their class names; empty for a family with none. */
export function registeredNamespaces(family: KeyFamily): ReadonlyMap<string, string> {
  return new Map(Array.from(namespaces.get(family) ?? [], ([namespace, entry]) => [namespace, entry.className]));
}

/** The class name of a family's deprecated fallback, or null if it has none. */
export function registeredFallback(family: KeyFamily): string | null {
  return fallbacks.get(family)?.className ?? null;
}

/**
 * Parses `input` as a key of `family`, the way `<Family>.from_string` does: the prefix
 * before the first `:` selects a registered class; if there is none, or that class
 * rejects the rest, the family's deprecated fallback (if any) gets the whole input.
 * Throws InvalidKeyError (and nothing else) for every input that does not parse,
 * including non-strings and inputs longer than {@link MAX_KEY_LENGTH}.
 */
export function parseRegisteredKey<F extends KeyFamily>(family: F, input: string): OpaqueKey & KeyFamilyTypes[F] {
  if (typeof input !== "string") throw new InvalidKeyError(String(input), `a ${family} must be a string`);
  if (input.length > MAX_KEY_LENGTH) {
    throw new InvalidKeyError(input, `longer than ${MAX_KEY_LENGTH} characters`);
  }
  let failure: InvalidKeyError;
  const colon = input.indexOf(":");
  const namespace = colon < 0 ? null : input.slice(0, colon);
  const entry = namespace === null ? undefined : namespaces.get(family)?.get(namespace);
  if (entry !== undefined) {
    try {
      return entry.parse(input.slice(colon + 1), input) as OpaqueKey & KeyFamilyTypes[F];
    } catch (error) {
      if (!(error instanceof InvalidKeyError)) throw error;
      failure = error;
    }
  } else if (namespace === null) {
    failure = new InvalidKeyError(input, `no namespace prefix (such as "${firstNamespace(family)}:")`);
  } else {
    failure = new InvalidKeyError(input, `${JSON.stringify(namespace.slice(0, 40))} is not a ${family} namespace`);
  }
  const fallback = fallbacks.get(family);
  if (fallback === undefined) throw failure;
  try {
    return fallback.parse(input) as OpaqueKey & KeyFamilyTypes[F];
  } catch (error) {
    if (!(error instanceof InvalidKeyError)) throw error;
    const reason = entry === undefined ? `${failure.reason}, and not a deprecated ${fallback.form} key: ${error.reason}` : failure.reason;
    throw new InvalidKeyError(input, reason);
  }
}

function firstNamespace(family: KeyFamily): string {
  return namespaces.get(family)?.keys().next().value ?? "namespace";
}

/** The Python exception class that the reference library raises for the same operation. */
export type PythonErrorClass = "TypeError" | "ValueError" | "NotImplementedError";

/**
 * Raised by a key operation that the key cannot perform, where the Python
 * library raises something other than `InvalidKeyError` (for example mapping a
 * `lb:` usage key into a course, which Python answers with `ValueError`).
 * Parsing never raises this: an unparseable string is always an {@link InvalidKeyError}.
 */
export class KeyOperationError extends Error {
  override readonly name = "KeyOperationError";
  constructor(
    /** The operation, e.g. `mapIntoCourse`. */
    readonly operation: string,
    /** Why it cannot be done, for people. */
    readonly reason: string,
    /** What the Python library raises here. */
    readonly pythonError: PythonErrorClass,
  ) {
    super(`${operation}: ${reason}`);
  }
}

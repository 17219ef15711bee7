/**
 * Raised for any string that does not parse as the requested key family, and by
 * the few key operations that the Python library answers with its own
 * `InvalidKeyError` (for example `forBranch(null)` on a key that has only a version).
 */
export class InvalidKeyError extends Error {
  override readonly name = "InvalidKeyError";
  constructor(
    /** The rejected input (for an operation, the key it was called on). */
    readonly input: string,
    /** What is wrong with it, for people. */
    readonly reason: string,
  ) {
    super(`invalid key ${JSON.stringify(input.slice(0, 200))}: ${reason}`);
  }
}

import { InvalidKeyError } from "./invalid-key-error.js";

/** The parts of a deprecated `i4x://org/course/category/name[@revision]` or `/c4x/…` location. */
export interface SlashLocation {
  readonly org: string;
  readonly course: string;
  readonly category: string;
  readonly name: string;
  readonly revision: string | null;
}

/**
 * Splits a deprecated location `<prefix>org/course/category/name[@revision]` the way the
 * Python regular expression does: org, course and category are the first three
 * `/`-separated parts (non-empty), the name runs to the first `@` (non-empty, may hold
 * `/`), and the revision is the non-empty rest without `/`. Characters are checked by
 * the caller. Throws InvalidKeyError.
 */
export function parseSlashLocation(input: string, prefix: string): SlashLocation {
  const fail = (reason: string): never => {
    throw new InvalidKeyError(input, reason);
  };
  if (!input.startsWith(prefix)) fail(`does not start with ${prefix}`);
  const rest = input.slice(prefix.length);
  const first = rest.indexOf("/");
  const second = first < 0 ? -1 : rest.indexOf("/", first + 1);
  const third = second < 0 ? -1 : rest.indexOf("/", second + 1);
  if (third < 0) fail(`expected ${prefix}org/course/category/name`);
  const org = rest.slice(0, first);
  const course = rest.slice(first + 1, second);
  const category = rest.slice(second + 1, third);
  const tail = rest.slice(third + 1);
  const at = tail.indexOf("@");
  const name = at < 0 ? tail : tail.slice(0, at);
  const revision = at < 0 ? null : tail.slice(at + 1);
  if (org === "" || course === "" || category === "" || name === "") fail("empty org, course, category or name");
  if (revision !== null && (revision === "" || revision.includes("/"))) fail("the @revision must be non-empty and hold no '/'");
  return { org, course, category, name, revision };
}

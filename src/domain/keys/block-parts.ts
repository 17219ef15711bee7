import { CourseLocator, courseFieldsOf } from "./course-locator.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { BLOCK_LOCATOR_GRAMMAR, parseLocatorBody } from "./locator-body.js";
import { parseSlashLocation } from "./slash-location.js";

/** What a block (or asset) key is built from, before the key class checks the block id. */
export interface BlockParts {
  readonly courseKey: CourseLocator;
  /** The block (or asset) type; null where the key has no `type@` part. */
  readonly blockType: string | null;
  /** The block id (or asset path). */
  readonly blockId: string;
}

/**
 * The parts of a `block-v1:` or `asset-v1:` body, `org+course+run[+branch@b][+version@v][+type@T]+block@I`
 * (or a version-only course); the course key is validated, `block@` is required.
 * Throws InvalidKeyError.
 */
export function parseBlockParts(body: string, input: string): BlockParts {
  const parsed = parseLocatorBody(body, input, BLOCK_LOCATOR_GRAMMAR);
  const courseKey = CourseLocator.create(courseFieldsOf(parsed, input), false, input);
  if (parsed.blockId === null) throw new InvalidKeyError(input, "missing the block@ part");
  return { courseKey, blockType: parsed.blockType, blockId: parsed.blockId };
}

/**
 * The parts of a deprecated `i4x://org/course/type/id[@branch]` or `/c4x/…` key (`prefix`
 * says which): a deprecated course key without a run (carrying the branch), the type
 * and the id. Throws InvalidKeyError.
 */
export function parseDeprecatedBlockParts(input: string, prefix: string): BlockParts {
  const location = parseSlashLocation(input, prefix);
  const courseKey = CourseLocator.create(
    { org: location.org, course: location.course, run: null, branch: location.revision, versionGuid: null },
    true,
    input,
  );
  return { courseKey, blockType: location.category, blockId: location.name };
}

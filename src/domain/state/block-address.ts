import { LRUCache } from "lru-cache";
import { AsideUsageKeyV2, InvalidKeyError, parseLearningContextKey, parseUsageKey, type LearningContextKey } from "../keys/index.js";
import { invalidArgument } from "../errors.js";

/** Where a block's state is filed: the columns derived from its usage key. */
export interface BlockAddress {
  /** Canonical usage key. */
  readonly usageKey: string;
  /** The learning context the block belongs to, as stored (see {@link storedContext}). */
  readonly contextKey: string;
  readonly blockType: string;
  /**
   * The type XBlock keys the block's fields by (its `ScopeIds.block_type`,
   * which preferences are kept per): the block type, or for an aside usage
   * key the aside's type.
   */
  readonly xblockType: string;
}

/**
 * The context string stored for a block. An `i4x://` key names its course's
 * org and course but no run, so its state is filed under `org/course`, which
 * no complete course key can equal; a deprecated course key `org/course/run`
 * matches those rows too (see {@link contextsOfCourse}).
 */
function storedContext(context: LearningContextKey): string {
  return context.run === null && context.deprecated ? `${context.org}/${context.course}` : context.toString();
}

// Addresses of the keys asked for lately: every learner of a course asks for
// the same blocks, and formatting a key's canonical text and its context's
// (the address) cost more than finding the parsed key. Only keys that parse
// are kept.
const recentAddresses = new LRUCache<string, BlockAddress>({ max: 10_000 });

/**
 * Parses a usage key from the request field `field` (item `index` of it, when
 * given) and derives its address. Throws INVALID_ARGUMENT with reason
 * INVALID_USAGE_KEY naming the field and the key when it does not parse.
 */
export function addressBlock(text: string, field: string, index?: number): BlockAddress {
  const known = recentAddresses.get(text);
  if (known !== undefined) return known;
  try {
    const key = parseUsageKey(text);
    // AsideUsageKeyV1 extends V2, so this covers both aside key forms.
    const xblockType = key instanceof AsideUsageKeyV2 ? key.asideType : key.blockType;
    const address: BlockAddress = Object.freeze({ usageKey: key.toString(), contextKey: storedContext(key.contextKey), blockType: key.blockType, xblockType });
    recentAddresses.set(text, address);
    return address;
  } catch (error) {
    if (error instanceof InvalidKeyError) {
      throw invalidArgument("INVALID_USAGE_KEY", index === undefined ? field : `${field}[${index}]`, `${JSON.stringify(text.slice(0, 200))} is not a usage key: ${error.reason}`, {
        key: text.slice(0, 200),
      });
    }
    throw error;
  }
}

/**
 * Parses a learning context key from the request field `field` and returns
 * every stored context string that belongs to it: its canonical form, plus
 * `org/course` for a deprecated `org/course/run` key, where the state of its
 * `i4x://` blocks is filed. Throws INVALID_ARGUMENT (INVALID_COURSE_KEY).
 */
export function contextsOfCourse(text: string, field: string): string[] {
  try {
    const key = parseLearningContextKey(text);
    const contexts = [key.toString()];
    if (key.deprecated && key.run !== null) contexts.push(`${key.org}/${key.course}`);
    return contexts;
  } catch (error) {
    if (error instanceof InvalidKeyError) {
      throw invalidArgument("INVALID_COURSE_KEY", field, `${JSON.stringify(text.slice(0, 200))} is not a course key: ${error.reason}`, {
        key: text.slice(0, 200),
      });
    }
    throw error;
  }
}

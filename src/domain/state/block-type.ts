import { invalidArgument } from "../errors.js";

// XBlock type names as the key grammar allows them in `type@…`.
const blockTypePattern = /^[\p{L}\p{N}_\-~.:]{1,255}$/u;

/** Checks an XBlock type name from the request field `field`; INVALID_ARGUMENT (INVALID_BLOCK_TYPE) when no block type could be named so. */
export function checkBlockType(blockType: string, field: string): string {
  if (!blockTypePattern.test(blockType)) {
    throw invalidArgument("INVALID_BLOCK_TYPE", field, "is not an XBlock type name (letters, digits, _ - ~ . :, at most 255)");
  }
  return blockType;
}

import { HTML_ID_CHARS } from "./char-class.js";

/**
 * Python `BlockUsageLocator.clean_for_html`: every character outside `[\w-]` becomes
 * `_`, then each run of `_` collapses to one. Returns "" for "".
 */
export function cleanForHtml(value: string): string {
  let result = "";
  for (const char of value) {
    const kept = HTML_ID_CHARS.has(char.codePointAt(0)!) ? char : "_";
    if (kept === "_" && result.endsWith("_")) continue;
    result += kept;
  }
  return result;
}

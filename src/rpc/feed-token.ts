import { invalidArgument } from "../domain/errors.js";
import { parseTxSnapshot, type FeedPosition, type WatchFilter } from "../domain/changes/index.js";
import type { ResumeTokenCodec } from "./resume-token.js";

const version = "w1";

/** The resume token of a WatchChanges response at `position`, bound to the call's filter. */
export function encodeFeedPosition(codec: ResumeTokenCodec, filter: WatchFilter, position: FeedPosition): string {
  return codec.sealFor(filter.parts, [version, position.from.text, position.to?.text ?? "", position.afterId.toString()]);
}

/** The position a WatchChanges resume token names; null for "" (now); INVALID_ARGUMENT (INVALID_RESUME_TOKEN) for any other text. */
export function decodeFeedPosition(codec: ResumeTokenCodec, filter: WatchFilter, token: string): FeedPosition | null {
  const fields = codec.openFor(token, filter.parts, "resume_token");
  if (fields === null) return null;
  const [tokenVersion, fromText = "", toText = "", afterText = "", extra] = fields;
  const from = parseTxSnapshot(fromText);
  const to = toText === "" ? null : parseTxSnapshot(toText);
  if (tokenVersion !== version || from === null || (toText !== "" && to === null) || extra !== undefined || !/^\d{1,19}$/u.test(afterText)) {
    throw invalidArgument("INVALID_RESUME_TOKEN", "resume_token", "is not a resume token of WatchChanges");
  }
  return { from, to, afterId: BigInt(afterText) };
}

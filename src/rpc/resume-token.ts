import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { invalidArgument } from "../domain/errors.js";
import type { IterationFilter } from "../domain/state/index.js";

/** Issues and checks the resume tokens of the IterAll* streams. */
export interface ResumeTokenCodec {
  /** A token that resumes `filter`'s iteration after `position`. */
  encode(filter: IterationFilter, position: bigint): string;
  /**
   * The position a token resumes after; null for the empty token (start at the
   * beginning). INVALID_ARGUMENT (INVALID_RESUME_TOKEN) for a token that is
   * malformed, altered, or was issued for another filter.
   */
  decode(token: string, filter: IterationFilter): bigint | null;
}

const macBytes = 16;

function digestOf(filter: IterationFilter): string {
  const parts = filter.kind === "block" ? [filter.kind, filter.scope, filter.usageKey] : [filter.kind, filter.scope, filter.blockType ?? "", ...filter.contextKeys];
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64url").slice(0, 22);
}

/**
 * Tokens are `base64url(v1.<position>.<filter digest>)` plus an HMAC-SHA256
 * tag under `secret`. They grant nothing (callers are authorised again on
 * every call); the tag only keeps clients from building or editing them, so
 * the format can change.
 */
export function createResumeTokenCodec(secret: string): ResumeTokenCodec {
  const tag = (payload: string) => createHmac("sha256", secret).update(payload).digest().subarray(0, macBytes);
  const rejected = (why: string) => invalidArgument("INVALID_RESUME_TOKEN", "resume_token", why);

  return {
    encode(filter, position) {
      const payload = `v1.${position}.${digestOf(filter)}`;
      return `${Buffer.from(payload).toString("base64url")}.${tag(payload).toString("base64url")}`;
    },
    decode(token, filter) {
      if (token === "") return null;
      const [encodedPayload, encodedTag, extra] = token.split(".");
      if (encodedPayload === undefined || encodedTag === undefined || extra !== undefined) throw rejected("is not a resume token");
      const payload = Buffer.from(encodedPayload, "base64url").toString();
      const given = Buffer.from(encodedTag, "base64url");
      if (given.length !== macBytes || !timingSafeEqual(given, tag(payload))) throw rejected("is not a resume token issued by this service");
      const [version, position, digest] = payload.split(".");
      if (version !== "v1" || position === undefined || !/^\d{1,19}$/u.test(position)) throw rejected("is not a resume token");
      if (digest !== digestOf(filter)) throw rejected("was issued for a call with other parameters");
      return BigInt(position);
    },
  };
}

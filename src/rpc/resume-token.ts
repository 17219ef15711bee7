import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { invalidArgument } from "../domain/errors.js";
import type { IterationFilter } from "../domain/state/index.js";

/** Issues and checks the resume tokens of the IterAll* streams and the page tokens of list calls. */
export interface ResumeTokenCodec {
  /** A token that resumes `filter`'s iteration after `position`. */
  encode(filter: IterationFilter, position: bigint): string;
  /**
   * The position a token resumes after; null for the empty token (start at the
   * beginning). INVALID_ARGUMENT (INVALID_RESUME_TOKEN) for a token that is
   * malformed, altered, or was issued for another filter.
   */
  decode(token: string, filter: IterationFilter): bigint | null;
  /** A token bound to a call's `parameters` that continues after `position`. */
  encodeFor(parameters: readonly string[], position: bigint): string;
  /** As {@link decode}, for a token of {@link encodeFor} read from the request field `field`. */
  decodeFor(token: string, parameters: readonly string[], field: string): bigint | null;
}

const macBytes = 16;

function partsOf(filter: IterationFilter): string[] {
  return filter.kind === "block" ? [filter.kind, filter.scope, filter.usageKey] : [filter.kind, filter.scope, filter.blockType ?? "", ...filter.contextKeys];
}

function digestOf(parameters: readonly string[]): string {
  return createHash("sha256").update(JSON.stringify(parameters)).digest("base64url").slice(0, 22);
}

/**
 * Tokens are `base64url(v1.<position>.<filter digest>)` plus an HMAC-SHA256
 * tag under `secret`. They grant nothing (callers are authorised again on
 * every call); the tag only keeps clients from building or editing them, so
 * the format can change.
 */
export function createResumeTokenCodec(secret: string): ResumeTokenCodec {
  const tag = (payload: string) => createHmac("sha256", secret).update(payload).digest().subarray(0, macBytes);

  const encodeFor = (parameters: readonly string[], position: bigint) => {
    const payload = `v1.${position}.${digestOf(parameters)}`;
    return `${Buffer.from(payload).toString("base64url")}.${tag(payload).toString("base64url")}`;
  };
  const decodeFor = (token: string, parameters: readonly string[], field: string) => {
    const rejected = (why: string) => invalidArgument("INVALID_RESUME_TOKEN", field, why);
    if (token === "") return null;
    const [encodedPayload, encodedTag, extra] = token.split(".");
    if (encodedPayload === undefined || encodedTag === undefined || extra !== undefined) throw rejected("is not a resume token");
    const payload = Buffer.from(encodedPayload, "base64url").toString();
    const given = Buffer.from(encodedTag, "base64url");
    if (given.length !== macBytes || !timingSafeEqual(given, tag(payload))) throw rejected("is not a resume token issued by this service");
    const [version, position, digest] = payload.split(".");
    if (version !== "v1" || position === undefined || !/^\d{1,19}$/u.test(position)) throw rejected("is not a resume token");
    if (digest !== digestOf(parameters)) throw rejected("was issued for a call with other parameters");
    return BigInt(position);
  };

  return {
    encode: (filter, position) => encodeFor(partsOf(filter), position),
    decode: (token, filter) => decodeFor(token, partsOf(filter), "resume_token"),
    encodeFor,
    decodeFor,
  };
}

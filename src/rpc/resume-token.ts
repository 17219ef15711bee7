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
  /** A token bound to a call's `parameters` that carries `fields` (texts without "."). */
  sealFor(parameters: readonly string[], fields: readonly string[]): string;
  /** The fields of a token of {@link sealFor}; null for the empty token; INVALID_ARGUMENT (INVALID_RESUME_TOKEN) as {@link decode}. */
  openFor(token: string, parameters: readonly string[], field: string): string[] | null;
}

const macBytes = 16;

function partsOf(filter: IterationFilter): string[] {
  return filter.kind === "block" ? [filter.kind, filter.scope, filter.usageKey] : [filter.kind, filter.scope, filter.blockType ?? "", ...filter.contextKeys];
}

function digestOf(parameters: readonly string[]): string {
  return createHash("sha256").update(JSON.stringify(parameters)).digest("base64url").slice(0, 22);
}

/**
 * Tokens are `base64url(<fields joined by ".">.<parameters digest>)` plus an
 * HMAC-SHA256 tag under `secret`; a position token's fields are `v1` and the
 * position. They grant nothing (callers are authorised again on every call);
 * the tag only keeps clients from building or editing them, so the format
 * can change.
 */
export function createResumeTokenCodec(secret: string): ResumeTokenCodec {
  const tag = (payload: string) => createHmac("sha256", secret).update(payload).digest().subarray(0, macBytes);

  const sealFor = (parameters: readonly string[], fields: readonly string[]) => {
    const payload = `${fields.join(".")}.${digestOf(parameters)}`;
    return `${Buffer.from(payload).toString("base64url")}.${tag(payload).toString("base64url")}`;
  };
  const openFor = (token: string, parameters: readonly string[], field: string) => {
    const rejected = (why: string) => invalidArgument("INVALID_RESUME_TOKEN", field, why);
    if (token === "") return null;
    const [encodedPayload, encodedTag, extra] = token.split(".");
    if (encodedPayload === undefined || encodedTag === undefined || extra !== undefined) throw rejected("is not a resume token");
    const payload = Buffer.from(encodedPayload, "base64url").toString();
    const given = Buffer.from(encodedTag, "base64url");
    if (given.length !== macBytes || !timingSafeEqual(given, tag(payload))) throw rejected("is not a resume token issued by this service");
    const fields = payload.split(".");
    if (fields.pop() !== digestOf(parameters)) throw rejected("was issued for a call with other parameters");
    return fields;
  };
  const encodeFor = (parameters: readonly string[], position: bigint) => sealFor(parameters, ["v1", position.toString()]);
  const decodeFor = (token: string, parameters: readonly string[], field: string) => {
    const fields = openFor(token, parameters, field);
    if (fields === null) return null;
    const [version, position, extra] = fields;
    if (version !== "v1" || position === undefined || extra !== undefined || !/^\d{1,19}$/u.test(position)) {
      throw invalidArgument("INVALID_RESUME_TOKEN", field, "is not a resume token of this call");
    }
    return BigInt(position);
  };

  return {
    encode: (filter, position) => encodeFor(partsOf(filter), position),
    decode: (token, filter) => decodeFor(token, partsOf(filter), "resume_token"),
    encodeFor,
    decodeFor,
    sealFor,
    openFor,
  };
}

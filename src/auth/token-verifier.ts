import { readFile } from "node:fs/promises";
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { LearnerStateError } from "../domain/errors.js";
import type { Principal } from "./principal.js";
import { parseTokenFilters } from "./token-filters.js";

/** How tokens are checked. Exactly one key source (`secret`, `jwksFile`, `jwksUrl`) is set. */
export interface TokenVerifierOptions {
  /** Shared secret for HS256 tokens. */
  readonly secret: string | null;
  /** Path of a JWKS file with the public keys of asymmetric tokens. */
  readonly jwksFile: string | null;
  /** URL of a JWKS endpoint (fetched and cached by jose). */
  readonly jwksUrl: string | null;
  /** Required `iss`. */
  readonly issuer: string;
  /** Required `aud` (one of the token's audiences). */
  readonly audience: string;
  /** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds. */
  readonly clockToleranceSeconds: number;
}

/** Turns the `authorization` header of a call into a {@link Principal}. */
export interface TokenVerifier {
  /** Throws "unauthenticated" for a missing, malformed, unsigned, expired or foreign token. */
  verify(authorization: string | null): Promise<Principal>;
}

const asymmetricAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

const unauthenticated = (message: string, cause?: unknown) =>
  new LearnerStateError("unauthenticated", "UNAUTHENTICATED", message, {}, cause === undefined ? undefined : { cause });

function stringsOf(claim: unknown): string[] {
  return Array.isArray(claim) ? claim.filter((item): item is string => typeof item === "string") : [];
}

/** Reads Open edX's JWT claims: preferred_username, administrator, scopes, filters, is_restricted. */
function principalOf(payload: JWTPayload): Principal {
  const username = payload["preferred_username"];
  return {
    kind: "token",
    subject: payload.sub ?? "",
    username: typeof username === "string" && username !== "" ? username : null,
    administrator: payload["administrator"] === true,
    scopes: stringsOf(payload["scopes"]),
    filters: parseTokenFilters(payload["filters"]),
    restricted: payload["is_restricted"] === true,
  };
}

/** Creates the verifier; reads the JWKS file once, now. */
export async function createTokenVerifier(options: TokenVerifierOptions): Promise<TokenVerifier> {
  let key: Uint8Array | JWTVerifyGetKey;
  let algorithms: string[];
  if (options.secret !== null) {
    key = new TextEncoder().encode(options.secret);
    algorithms = ["HS256"];
  } else if (options.jwksFile !== null) {
    key = createLocalJWKSet(JSON.parse(await readFile(options.jwksFile, "utf8")));
    algorithms = asymmetricAlgorithms;
  } else if (options.jwksUrl !== null) {
    key = createRemoteJWKSet(new URL(options.jwksUrl));
    algorithms = asymmetricAlgorithms;
  } else {
    throw new Error("a token verifier needs a secret, a JWKS file or a JWKS URL");
  }
  const verifyOptions = { issuer: options.issuer, audience: options.audience, algorithms, clockTolerance: options.clockToleranceSeconds, requiredClaims: ["exp"] };

  return {
    async verify(authorization) {
      if (authorization === null) throw unauthenticated("missing authorization: send 'authorization: Bearer <JWT>'");
      const match = /^Bearer ([A-Za-z0-9_\-.]+)$/u.exec(authorization);
      if (!match) throw unauthenticated("malformed authorization: expected 'Bearer <JWT>'");
      try {
        const { payload } =
          typeof key === "function" ? await jwtVerify(match[1]!, key, verifyOptions) : await jwtVerify(match[1]!, key, verifyOptions);
        return principalOf(payload);
      } catch (error) {
        if (error instanceof errors.JWTExpired) throw unauthenticated("the token has expired", error);
        if (error instanceof errors.JOSEError) throw unauthenticated(`the token was refused (${error.code})`, error);
        throw error;
      }
    },
  };
}

import { SignJWT, type JWTPayload } from "jose";

export const testIssuer = "https://lms.example/oauth2";
export const testAudience = "learnerstate";
export const testSecret = "test-secret-with-enough-entropy-0123456789";

/** An HS256 token with Open edX's claims, valid for an hour unless `expiresAt` says otherwise. */
export async function mintToken(claims: JWTPayload, options: { secret?: string; expiresAt?: number; issuer?: string; audience?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(options.issuer ?? testIssuer)
    .setAudience(options.audience ?? testAudience)
    .setIssuedAt(now)
    .setExpirationTime(options.expiresAt ?? now + 3600)
    .sign(new TextEncoder().encode(options.secret ?? testSecret));
}

/** Call options that send `token` as a bearer token (none for null). */
export function bearer(token: string | null): { headers?: Record<string, string> } {
  return token === null ? {} : { headers: { authorization: `Bearer ${token}` } };
}

/** The service's scopes, as tokens carry them. */
export const scopes = {
  read: "learner_state:read",
  write: "learner_state:write",
  bulkRead: "learner_state:bulk_read",
  erase: "learner_state:erase",
  catalogWrite: "catalog:write",
  blockStructureWrite: "block_structure:write",
} as const;

/** Claims of an application's token that may read and write `username`'s own state (and nobody else's). */
export function ownStateClaims(username: string): JWTPayload {
  return { preferred_username: username, scopes: [scopes.read, scopes.write], filters: ["user:me"] };
}

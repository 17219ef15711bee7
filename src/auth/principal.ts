import type { TokenFilters } from "./token-filters.js";

/**
 * Who is calling. Built from a verified token, or the development principal
 * when the server runs without authentication.
 */
export type Principal =
  | { readonly kind: "development" }
  | {
      readonly kind: "token";
      /** The token's `sub`, for audit records. */
      readonly subject: string;
      /** `preferred_username`: whose state `user:me` means; null when absent. */
      readonly username: string | null;
      /** `administrator: true`: the LMS's service user or a trusted backend; may do everything. */
      readonly administrator: boolean;
      /** `scopes`: what the token may do (see capability.ts); other scopes are kept but grant nothing here. */
      readonly scopes: readonly string[];
      /** `filters`: whose or which data the token is narrowed to. */
      readonly filters: TokenFilters;
      /** `is_restricted`: an application's token; recorded, and held to exactly the same rules. */
      readonly restricted: boolean;
    };

/** A short description of `principal` for logs and audit records. */
export function describePrincipal(principal: Principal): Record<string, unknown> {
  if (principal.kind === "development") return { principal: "development" };
  return {
    subject: principal.subject,
    username: principal.username,
    administrator: principal.administrator,
    scopes: principal.scopes,
    filters: principal.filters.all,
    restricted: principal.restricted,
  };
}

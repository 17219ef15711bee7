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
      /** `preferred_username`: the learner whose own state this caller may read and write. */
      readonly username: string | null;
      /** `administrator: true`: trusted backend or platform administrator; may do everything. */
      readonly administrator: boolean;
      /** Orgs from `content_org:<org>` filters: staff reads in every course of these orgs. */
      readonly orgs: readonly string[];
      /** Course keys from `course:<course key>` filters: staff reads in these courses. */
      readonly courses: readonly string[];
    };

/** A short description of `principal` for logs and audit records. */
export function describePrincipal(principal: Principal): Record<string, unknown> {
  if (principal.kind === "development") return { principal: "development" };
  return {
    subject: principal.subject,
    username: principal.username,
    administrator: principal.administrator,
    orgs: principal.orgs,
    courses: principal.courses,
  };
}

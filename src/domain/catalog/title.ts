import { invalidArgument } from "../errors.js";

/** Characters in a title or name at most (the Django models' `max_length`). */
export const maxTitleLength = 255;

/**
 * Checks a title or display name: at most {@link maxTitleLength} characters
 * (code points, as Django counts them), without NUL (which PostgreSQL text
 * cannot hold) or an unpaired surrogate. The empty string passes: callers
 * decide what it means. Throws INVALID_ARGUMENT with `reason` naming `field`.
 */
export function checkTitle(title: string, field: string, reason = "INVALID_TITLE"): void {
  let length = 0;
  for (const _ of title) length += 1;
  if (length > maxTitleLength) throw invalidArgument(reason, field, `has ${length} characters; at most ${maxTitleLength} are allowed`);
  if (title.includes("\u0000") || !title.isWellFormed()) throw invalidArgument(reason, field, "contains NUL or an unpaired surrogate");
}

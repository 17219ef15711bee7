import { invalidArgument } from "../errors.js";

/** Items per page when the caller asks for 0 (AIP-158's documented default). */
export const defaultPageSize = 100;
/** Items per page at most; larger requests are lowered to it. */
export const maxPageSize = 1000;

/**
 * The number of items a page holds for a requested `page_size`: 0 means
 * {@link defaultPageSize}, values above {@link maxPageSize} are lowered to
 * it. Throws INVALID_ARGUMENT (INVALID_PAGE_SIZE) for a negative size.
 */
export function pageSizeOf(requested: number, field = "page_size"): number {
  if (requested < 0) throw invalidArgument("INVALID_PAGE_SIZE", field, "must not be negative");
  return requested === 0 ? defaultPageSize : Math.min(requested, maxPageSize);
}

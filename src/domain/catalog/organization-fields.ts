import { invalidArgument } from "../errors.js";
import { checkTitle } from "./title.js";

// edx-organizations' `Organization.clean`: letters, digits, period, hyphen and underscore.
const shortNamePattern = /^[A-Za-z0-9._-]{1,255}$/u;

/**
 * Checks the fields of an organization to create and returns its name: the
 * short name must be 1 to 255 of A–Z, a–z, 0–9, `.`, `-`, `_` (as
 * edx-organizations requires); an empty name means the short name. Throws
 * INVALID_ARGUMENT (INVALID_ORGANIZATION) naming the field at fault.
 */
export function checkOrganizationFields(shortName: string, name: string): string {
  if (!shortNamePattern.test(shortName)) {
    throw invalidArgument("INVALID_ORGANIZATION", "short_name", "must be 1 to 255 letters (A-Z, a-z), digits, '.', '-' or '_'");
  }
  checkTitle(name, "name", "INVALID_ORGANIZATION");
  return name === "" ? shortName : name;
}

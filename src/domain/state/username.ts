import { invalidArgument } from "../errors.js";
import { fixedLimits } from "./limits.js";

// Control characters (C0, DEL, C1) never appear in Django usernames.
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/u;

/**
 * Checks a learner's username: non-empty, at most
 * {@link fixedLimits.maxUsernameLength} characters, no control characters.
 * Throws INVALID_ARGUMENT naming `field` otherwise.
 */
export function checkUsername(username: string, field = "username"): void {
  if (username.length === 0) throw invalidArgument("INVALID_USERNAME", field, "username must not be empty");
  if (username.length > fixedLimits.maxUsernameLength) {
    throw invalidArgument("INVALID_USERNAME", field, `username is longer than ${fixedLimits.maxUsernameLength} characters`);
  }
  if (controlCharacter.test(username) || !username.isWellFormed()) {
    throw invalidArgument("INVALID_USERNAME", field, "username contains a control character or an unpaired surrogate");
  }
}

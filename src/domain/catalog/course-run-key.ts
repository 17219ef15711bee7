import { invalidArgument } from "../errors.js";
import { InvalidKeyError, parseLearningContextKey } from "../keys/index.js";

/** A course run's key, parsed: what names its organization, catalog course and run. */
export interface CourseRunKey {
  /** The canonical key string, as stored. */
  readonly courseKey: string;
  /** The org part, as the key spells it. */
  readonly orgCode: string;
  readonly courseCode: string;
  readonly runCode: string;
  /** True for CCX keys, which share their course's org, course and run. */
  readonly ccx: boolean;
}

const shown = (text: string) => JSON.stringify(text.slice(0, 200));

/**
 * Parses the course key of a course run from the request field `field`:
 * `course-v1:`, `ccx-v1:` or deprecated `org/course/run`. Throws
 * INVALID_ARGUMENT with reason INVALID_COURSE_KEY when it does not parse as a
 * learning context key, and NOT_A_COURSE_RUN_KEY when it does but names no
 * course run: a v1 or v2 library, or a branch or version of a course.
 */
export function parseCourseRunKey(text: string, field: string): CourseRunKey {
  let key;
  try {
    key = parseLearningContextKey(text);
  } catch (error) {
    if (!(error instanceof InvalidKeyError)) throw error;
    throw invalidArgument("INVALID_COURSE_KEY", field, `${shown(text)} is not a course key: ${error.reason}`, { key: text.slice(0, 200) });
  }
  const notARun = (why: string) => invalidArgument("NOT_A_COURSE_RUN_KEY", field, `${shown(text)} is not the key of a course run: ${why}`, { key: text.slice(0, 200) });
  if (!key.isCourse) throw notARun(`it is a ${key.className}`);
  const { branch, versionGuid } = key as { branch?: string | null; versionGuid?: string | null };
  if ((branch ?? null) !== null || (versionGuid ?? null) !== null) throw notARun("it names a branch or version of a course; give the key without it");
  if (key.org === null || key.course === null || key.run === null) throw notARun("it has no org, course and run");
  return { courseKey: key.toString(), orgCode: key.org, courseCode: key.course, runCode: key.run, ccx: key.className === "CCXLocator" };
}

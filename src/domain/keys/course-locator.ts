import { changedFields } from "./changed-fields.js";
import { DEPRECATED_ID_CHARS, DEPRECATED_PART_CHARS, ID_CHARS } from "./char-class.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { registerDeprecatedFallback, registerKeyClass } from "./key-registry.js";
import type { CourseKey } from "./key-types.js";
import { BLOCK_LOCATOR_GRAMMAR, formatLocatorBody, parseLocatorBody, type LocatorBody } from "./locator-body.js";
import { toObjectId } from "./object-id.js";
import { OpaqueKey, type PartSource } from "./opaque-key.js";

/** The fields of a course locator. */
export interface CourseFields {
  readonly org: string | null;
  readonly course: string | null;
  readonly run: string | null;
  readonly branch: string | null;
  /** 24 lowercase hex digits, or null. */
  readonly versionGuid: string | null;
}

/** Why `fields` do not make a valid course locator, or undefined if they do (Python `CourseLocator.__init__`). */
function courseFieldsProblem(fields: CourseFields, deprecated: boolean): string | undefined {
  if (deprecated) {
    for (const [name, value] of [["org", fields.org], ["course", fields.course], ["run", fields.run]] as const) {
      const bad = value === null ? undefined : DEPRECATED_PART_CHARS.firstOutside(value);
      if (bad !== undefined) return `${name} contains ${JSON.stringify(bad)}, which deprecated keys do not allow`;
    }
    const required: [string, string | null][] = [["org", fields.org], ["course", fields.course]];
    if (fields.run) required.push(["run", fields.run]);
    if (fields.branch !== null) required.push(["branch", fields.branch]);
    for (const [name, value] of required) {
      if (value === null) return `deprecated course ids need an ${name}`;
      const problem = DEPRECATED_ID_CHARS.explain(name, value);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  const problem = ID_CHARS.explainFields({ org: fields.org, course: fields.course, run: fields.run, branch: fields.branch });
  if (problem !== undefined) return problem;
  if (fields.versionGuid === null && (fields.org === null || fields.course === null || fields.run === null)) {
    return "needs either a version or all of org, course and run";
  }
  return undefined;
}

/** The fields of a parsed body, with the version checked to be an ObjectId. Throws InvalidKeyError. */
export function courseFieldsOf(body: LocatorBody, input: string): CourseFields {
  let versionGuid: string | null = null;
  if (body.version !== null) {
    versionGuid = toObjectId(body.version);
    if (versionGuid === null) throw new InvalidKeyError(input, `version ${JSON.stringify(body.version.slice(0, 40))} is not 24 hex digits`);
  }
  return { org: body.org, course: body.course, run: body.run, branch: body.branch, versionGuid };
}

/**
 * A course: `course-v1:org+course+run[+branch@b][+version@v]`, a version-only
 * `course-v1:version@v`, or the deprecated `org/course/run`. Deprecated course keys
 * built from `i4x://` and `/c4x/` keys have no run; they have no string form.
 */
export class CourseLocator extends OpaqueKey implements CourseKey {
  static readonly NAMESPACE = "course-v1";
  get className(): string {
    return "CourseLocator";
  }
  get namespace(): string {
    return CourseLocator.NAMESPACE;
  }
  readonly isCourse: boolean = true;
  readonly org: string | null;
  readonly course: string | null;
  readonly run: string | null;
  readonly branch: string | null;
  readonly versionGuid: string | null;

  protected constructor(fields: CourseFields, readonly deprecated: boolean) {
    super();
    this.org = fields.org;
    this.course = fields.course;
    this.run = fields.run;
    this.branch = fields.branch;
    this.versionGuid = fields.versionGuid;
  }

  /**
   * A course locator with these fields, validated as in Python. Throws InvalidKeyError
   * (with `input`, or a rendering of the fields, as its input) if they are not valid.
   */
  static create(fields: CourseFields, deprecated = false, input?: string): CourseLocator {
    const problem = courseFieldsProblem(fields, deprecated);
    if (problem !== undefined) throw new InvalidKeyError(input ?? renderFields(fields), problem);
    return new CourseLocator(fields, deprecated);
  }

  /** Parses the body of a `course-v1:` (or `slashes:`) key. Throws InvalidKeyError. */
  static fromBody(body: string, input: string): CourseLocator {
    const parsed = parseLocatorBody(body, input, BLOCK_LOCATOR_GRAMMAR);
    return CourseLocator.create(courseFieldsOf(parsed, input), false, input);
  }

  /** Parses a deprecated `org/course/run` id (the run may be empty). Throws InvalidKeyError. */
  static fromDeprecatedString(input: string): CourseLocator {
    const pieces = input.split("/", 4);
    if (pieces.length !== 3) throw new InvalidKeyError(input, "a deprecated course id has exactly two '/'");
    const [org, course, run] = pieces as [string, string, string];
    return CourseLocator.create({ org, course, run, branch: null, versionGuid: null }, true, input);
  }

  /** The string form without the namespace prefix (Python `_to_string`); "" never occurs for valid keys. */
  locatorBody(): string {
    const ids = this.course && this.run ? [this.org ?? "None", this.course, this.run] : null;
    return formatLocatorBody(ids, this.branch, this.versionGuid);
  }

  /**
   * `course-v1:…`, or `org/course/run` for deprecated keys. Throws InvalidKeyError for a
   * deprecated key without a run (the course of an `i4x://` or `/c4x/` key), which has
   * no string form (Python raises TypeError).
   */
  override toString(): string {
    if (!this.deprecated) return `${this.namespace}:${this.locatorBody()}`;
    if (this.run === null) {
      throw new InvalidKeyError(
        `${this.org}/${this.course}`,
        "a deprecated course key without a run (the course of an i4x:// or /c4x/ key) has no string form",
      );
    }
    return `${this.org}/${this.course}/${this.run}`;
  }

  /** The canonical string (throws like {@link toString}). */
  htmlId(): string {
    return this.toString();
  }

  /** This course on `branch`, without a version. Throws InvalidKeyError if the key has no org. */
  forBranch(branch: string | null): CourseLocator {
    if (this.org === null) throw new InvalidKeyError(renderFields(this), "branches need a full course id, not just a version");
    return this.replace({ branch, versionGuid: null });
  }

  /** This course without a version. Throws InvalidKeyError if only the version identified it. */
  versionAgnostic(): CourseLocator {
    return this.replace({ versionGuid: null });
  }

  /** A copy with some fields changed, re-validated; this key itself if nothing changes. */
  replace(changes: Partial<CourseFields>): CourseLocator {
    const fields = changedFields(this.fieldsOf(), changes);
    return fields === undefined ? this : this.rebuild(fields);
  }

  /** A key of this class with other fields. Throws InvalidKeyError. */
  protected rebuild(fields: CourseFields): CourseLocator {
    return CourseLocator.create(fields, this.deprecated);
  }

  protected fieldsOf(): CourseFields {
    return { org: this.org, course: this.course, run: this.run, branch: this.branch, versionGuid: this.versionGuid };
  }

  protected identity(): readonly unknown[] {
    return [this.org, this.course, this.run, this.branch, this.versionGuid];
  }

  protected partSources(): Readonly<Record<string, PartSource>> {
    return {
      is_course: () => this.isCourse,
      org: () => this.org,
      course: () => this.course,
      run: () => this.run,
      branch: () => this.branch,
      version_guid: () => this.versionGuid,
    };
  }
}

/** A readable rendering of course fields, for error messages about keys without a string form. */
function renderFields(fields: CourseFields): string {
  const parts = [fields.org, fields.course, fields.run].filter((part) => part !== null);
  if (fields.branch !== null) parts.push(`branch@${fields.branch}`);
  if (fields.versionGuid !== null) parts.push(`version@${fields.versionGuid}`);
  return parts.join("+");
}

for (const namespace of [CourseLocator.NAMESPACE, "slashes"]) {
  registerKeyClass({
    namespace,
    className: "CourseLocator",
    families: ["CourseKey", "LearningContextKey"],
    parse: (body, input) => CourseLocator.fromBody(body, input),
  });
}
for (const family of ["CourseKey", "LearningContextKey"] as const) {
  registerDeprecatedFallback({
    family,
    className: "CourseLocator",
    form: "org/course/run",
    parse: (input) => CourseLocator.fromDeprecatedString(input),
  });
}

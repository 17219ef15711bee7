import { changedFields } from "./changed-fields.js";
import { ID_CHARS } from "./char-class.js";
import { courseFieldsOf } from "./course-locator.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { registerKeyClass } from "./key-registry.js";
import type { CourseKey } from "./key-types.js";
import { BLOCK_LOCATOR_GRAMMAR, formatLocatorBody, parseLocatorBody } from "./locator-body.js";
import { OpaqueKey, type PartSource } from "./opaque-key.js";

/** The fields of a v1 library locator. */
export interface LibraryFields {
  readonly org: string | null;
  readonly library: string | null;
  readonly branch: string | null;
  /** 24 lowercase hex digits, or null. */
  readonly versionGuid: string | null;
}

function libraryFieldsProblem(fields: LibraryFields): string | undefined {
  const problem = ID_CHARS.explainFields({ org: fields.org, library: fields.library, branch: fields.branch });
  if (problem !== undefined) return problem;
  if (fields.versionGuid === null && (fields.org === null || fields.library === null)) {
    return "needs either a version or both org and library";
  }
  return undefined;
}

/**
 * A legacy (modulestore) library: `library-v1:org+library[+branch@b][+version@v]`, or
 * `library-v1:version@v`. Treated as a course-like context; its run is always
 * `"library"`. A run part in the input is accepted and ignored, as in Python.
 */
export class LibraryLocator extends OpaqueKey implements CourseKey {
  static readonly NAMESPACE = "library-v1";
  readonly className = "LibraryLocator";
  readonly namespace = LibraryLocator.NAMESPACE;
  readonly deprecated = false;
  readonly isCourse = false;
  /** The fixed run of every library (Python `LibraryLocator.RUN`). */
  readonly run = "library";
  readonly org: string | null;
  readonly library: string | null;
  readonly branch: string | null;
  readonly versionGuid: string | null;

  private constructor(fields: LibraryFields) {
    super();
    this.org = fields.org;
    this.library = fields.library;
    this.branch = fields.branch;
    this.versionGuid = fields.versionGuid;
  }

  /** A library locator with these fields, validated as in Python. Throws InvalidKeyError. */
  static create(fields: LibraryFields, input?: string): LibraryLocator {
    const problem = libraryFieldsProblem(fields);
    if (problem !== undefined) throw new InvalidKeyError(input ?? renderLibrary(fields), problem);
    return new LibraryLocator(fields);
  }

  /** Parses the body of a `library-v1:` key. Throws InvalidKeyError. */
  static fromBody(body: string, input: string): LibraryLocator {
    const parsed = courseFieldsOf(parseLocatorBody(body, input, BLOCK_LOCATOR_GRAMMAR), input);
    return LibraryLocator.create(
      { org: parsed.org, library: parsed.course, branch: parsed.branch, versionGuid: parsed.versionGuid },
      input,
    );
  }

  /** The library name (Python `course`, kept for compatibility with course keys). */
  get course(): string | null {
    return this.library;
  }

  /** The string form without the namespace prefix (`org+library[+branch@b][+version@v]`). */
  locatorBody(): string {
    return renderLibrary(this);
  }

  /** `library-v1:…`. Never throws. */
  override toString(): string {
    return `${this.namespace}:${this.locatorBody()}`;
  }

  /** The canonical string. */
  htmlId(): string {
    return this.toString();
  }

  /** This library on `branch`, without a version. Throws InvalidKeyError if that leaves nothing to identify it. */
  forBranch(branch: string | null): LibraryLocator {
    if (this.org === null && branch !== null) {
      throw new InvalidKeyError(this.toString(), "branches need a full library id, not just a version");
    }
    return this.replace({ branch, versionGuid: null });
  }

  /** This library without a version. Throws InvalidKeyError if only the version identified it. */
  versionAgnostic(): LibraryLocator {
    return this.replace({ versionGuid: null });
  }

  /** A copy with some fields changed, re-validated; this key itself if nothing changes. */
  replace(changes: Partial<LibraryFields>): LibraryLocator {
    const current: LibraryFields = { org: this.org, library: this.library, branch: this.branch, versionGuid: this.versionGuid };
    const fields = changedFields(current, changes);
    return fields === undefined ? this : LibraryLocator.create(fields);
  }

  protected identity(): readonly unknown[] {
    return [this.org, this.library, this.branch, this.versionGuid];
  }

  protected partSources(): Readonly<Record<string, PartSource>> {
    return {
      is_course: () => this.isCourse,
      org: () => this.org,
      course: () => this.course,
      run: () => this.run,
      library: () => this.library,
      branch: () => this.branch,
      version_guid: () => this.versionGuid,
    };
  }
}

function renderLibrary(fields: LibraryFields): string {
  return formatLocatorBody(fields.library ? [fields.org ?? "None", fields.library] : null, fields.branch, fields.versionGuid);
}

registerKeyClass({
  namespace: LibraryLocator.NAMESPACE,
  className: "LibraryLocator",
  families: ["CourseKey", "LearningContextKey"],
  parse: (body, input) => LibraryLocator.fromBody(body, input),
});

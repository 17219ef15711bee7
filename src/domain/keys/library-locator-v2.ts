import { ASCII_NAME_CHARS, SLUG_CHARS } from "./char-class.js";
import { splitColonFields, stringFieldProblem } from "./colon-fields.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { KeyOperationError } from "./key-operation-error.js";
import { registerKeyClass } from "./key-registry.js";
import type { LearningContextKey } from "./key-types.js";
import { OpaqueKey, type PartSource } from "./opaque-key.js";

/**
 * A v2 (Learning Core) content library: `lib:org:slug`. The org is ASCII
 * `[a-zA-Z0-9_\-.]`, the slug `[\w\-.]` (any script); as in Python, each may end
 * with one newline.
 */
export class LibraryLocatorV2 extends OpaqueKey implements LearningContextKey {
  static readonly NAMESPACE = "lib";
  readonly className = "LibraryLocatorV2";
  readonly namespace = LibraryLocatorV2.NAMESPACE;
  readonly deprecated = false;
  readonly isCourse = false;
  /** Always null: v2 libraries have no course part (Python has no such attribute). */
  readonly course = null;
  /** Always null: v2 libraries have no run (Python has no such attribute). */
  readonly run = null;

  private constructor(
    readonly org: string,
    readonly slug: string,
  ) {
    super();
  }

  /** A v2 library key. Throws InvalidKeyError if the org or slug is invalid. */
  static create(org: string, slug: string, input?: string): LibraryLocatorV2 {
    const problem = stringFieldProblem("org", org, ASCII_NAME_CHARS) ?? stringFieldProblem("slug", slug, SLUG_CHARS);
    if (problem !== undefined) throw new InvalidKeyError(input ?? `lib:${org}:${slug}`, problem);
    return new LibraryLocatorV2(org, slug);
  }

  /** Parses the body of a `lib:` key. Throws InvalidKeyError. */
  static fromBody(body: string, input: string): LibraryLocatorV2 {
    const [org, slug] = splitColonFields(body, input, 2, "lib:org:slug") as [string, string];
    return LibraryLocatorV2.create(org, slug, input);
  }

  /** `lib:org:slug`. Never throws. */
  override toString(): string {
    return `${this.namespace}:${this.org}:${this.slug}`;
  }

  /** This key for `forBranch(null)`; throws KeyOperationError for any branch (Python raises ValueError). */
  forBranch(branch: string | null): LibraryLocatorV2 {
    if (branch !== null) throw new KeyOperationError("forBranch", "content libraries have no branches", "ValueError");
    return this;
  }

  protected identity(): readonly unknown[] {
    return [this.org, this.slug];
  }

  protected partSources(): Readonly<Record<string, PartSource>> {
    return { is_course: () => this.isCourse, org: () => this.org, slug: () => this.slug };
  }
}

registerKeyClass({
  namespace: LibraryLocatorV2.NAMESPACE,
  className: "LibraryLocatorV2",
  families: ["LearningContextKey"],
  parse: (body, input) => LibraryLocatorV2.fromBody(body, input),
});

import { CourseLocator, courseFieldsOf, type CourseFields } from "./course-locator.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { registerKeyClass } from "./key-registry.js";
import { CCX_LOCATOR_GRAMMAR, parseLocatorBody } from "./locator-body.js";


/**
 * A custom course (edx-ccx-keys): `ccx-v1:org+course+run[+branch@b][+version@v]+ccx@N`.
 * Never deprecated. Labels are case-insensitive and the ccx id is any script's digits,
 * kept as written.
 */
export class CCXLocator extends CourseLocator {
  static readonly CCX_NAMESPACE = "ccx-v1";
  override get className(): string {
    return "CCXLocator";
  }
  override get namespace(): string {
    return CCXLocator.CCX_NAMESPACE;
  }

  protected constructor(
    fields: CourseFields,
    /** The ccx id (decimal digits of any script, as written). */
    readonly ccx: string,
  ) {
    super(fields, false);
  }

  /** A ccx locator with these fields, validated as a course locator. Throws InvalidKeyError. */
  static of(fields: CourseFields, ccx: string, input?: string): CCXLocator {
    const course = CourseLocator.create(fields, false, input);
    return new CCXLocator(course, ccx);
  }

  /** Parses the body of a `ccx-v1:` key. Throws InvalidKeyError. */
  static override fromBody(body: string, input: string): CCXLocator {
    const parsed = parseLocatorBody(body, input, CCX_LOCATOR_GRAMMAR);
    if (parsed.ccx === null) throw new InvalidKeyError(input, "missing the ccx@ part");
    return CCXLocator.of(courseFieldsOf(parsed, input), parsed.ccx, input);
  }

  /** The course locator of the same course, without the ccx. */
  toCourseLocator(): CourseLocator {
    return CourseLocator.create(this.fieldsOf());
  }

  /** The course body followed by `+ccx@N`. */
  override locatorBody(): string {
    return `${super.locatorBody()}+ccx@${this.ccx}`;
  }

  override forBranch(branch: string | null): CCXLocator {
    return super.forBranch(branch) as CCXLocator;
  }

  override versionAgnostic(): CCXLocator {
    return super.versionAgnostic() as CCXLocator;
  }

  protected override rebuild(fields: CourseFields): CCXLocator {
    return CCXLocator.of(fields, this.ccx);
  }

  protected override identity(): readonly unknown[] {
    return [...super.identity(), this.ccx];
  }
}

registerKeyClass({
  namespace: CCXLocator.CCX_NAMESPACE,
  className: "CCXLocator",
  families: ["CourseKey", "LearningContextKey"],
  parse: (body, input) => CCXLocator.fromBody(body, input),
});

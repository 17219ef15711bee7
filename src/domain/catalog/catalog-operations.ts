import { LearnerStateError } from "../errors.js";
import { InvalidKeyError, parseLearningContextKey } from "../keys/index.js";
import type { CallLimits } from "../state/index.js";
import { catalogCourseKey, checkCatalogCourseSelection, describeRef, type CatalogCourseRef, type CatalogCourseSelection } from "./catalog-course-ref.js";
import type { CatalogStore, StoredCatalogCourse, StoredCourseRun, StoredOrganization } from "./catalog-store.js";
import { parseCourseRunKey } from "./course-run-key.js";
import { defaultLanguage, languageOfShortCode } from "./language-code.js";
import { checkOrganizationFields } from "./organization-fields.js";
import { checkTitle } from "./title.js";

/** How the catalog rules are configured. */
export interface CatalogOptions {
  /** Whether CreateCourseRunForModulestoreCourse may create a missing organization (CATALOG_AUTO_CREATE_ORGS). */
  readonly autoCreateOrganizations: boolean;
}

/** A course run as returned to callers. */
export interface CourseRun extends StoredCourseRun {
  /** The org as its course key spells it, which may differ in case from its organization's short name. */
  readonly orgCode: string;
}

/** One page of a list, and where the next starts. */
export interface Page<T> {
  readonly items: readonly T[];
  /** The position to continue after (the last item's id); null when this page is the last. */
  readonly next: bigint | null;
}

/** What CreateCourseRunForModulestoreCourse did. */
export interface CourseRunCreation {
  readonly run: CourseRun;
  readonly catalogCourse: StoredCatalogCourse;
  /** The run existed before the call; nothing was created (the Django API logs a warning). */
  readonly alreadyExisted: boolean;
  readonly catalogCourseCreated: boolean;
  readonly organizationCreated: boolean;
  /** The key's org differs in case from the organization's short name (the Django API logs a warning). */
  readonly orgCaseDiffers: boolean;
}

/** The catalog rules (`openedx_catalog.api`), independent of transport and storage. */
export interface CatalogOperations {
  /** The catalog course and its first page of runs; NOT_FOUND when absent. */
  getCatalogCourse(call: CallLimits, selection: CatalogCourseSelection): Promise<{ catalogCourse: StoredCatalogCourse; runs: Page<CourseRun> }>;
  /** The catalog course `field` names; NOT_FOUND when absent. */
  catalogCourseOf(call: CallLimits, selection: CatalogCourseSelection, field: string): Promise<StoredCatalogCourse>;
  /** Sets a non-empty title and/or language (empty: unchanged); NOT_FOUND when absent. */
  updateCatalogCourse(call: CallLimits, selection: CatalogCourseSelection, title: string, languageShort: string): Promise<StoredCatalogCourse>;
  /** Deletes a catalog course without runs; NOT_FOUND when absent, FAILED_PRECONDITION while runs exist. */
  deleteCatalogCourse(call: CallLimits, selection: CatalogCourseSelection): Promise<void>;
  /** The run of `courseKey`; NOT_FOUND when absent. */
  getCourseRun(call: CallLimits, courseKey: string): Promise<CourseRun>;
  /** Sets the run's title unless `title` is empty; NOT_FOUND when absent. */
  syncCourseRunDetails(call: CallLimits, courseKey: string, title: string): Promise<CourseRun>;
  /** Deletes the run; NOT_FOUND when absent. */
  deleteCourseRun(call: CallLimits, courseKey: string): Promise<void>;
  /** Makes sure the run, its catalog course and its organization exist (see the contract). */
  createCourseRunForModulestoreCourse(call: CallLimits, courseKey: string, title: string, languageShort: string): Promise<CourseRunCreation>;
  /** The organization with this short name regardless of case; NOT_FOUND (naming `field`) when absent. */
  organizationOf(call: CallLimits, orgCode: string, field: string): Promise<StoredOrganization>;
  /** A page of `size` (from `pageSizeOf`) catalog courses, of one organization when given, after position `after`. */
  listCatalogCourses(call: CallLimits, organizationId: bigint | null, after: bigint | null, size: number): Promise<Page<StoredCatalogCourse>>;
  /** A page of `size` (from `pageSizeOf`) course runs, of one catalog course when given, after position `after`. */
  listCourseRuns(call: CallLimits, catalogCourseId: bigint | null, after: bigint | null, size: number): Promise<Page<CourseRun>>;
  /** Creates an organization unless one with its short name (regardless of case) exists. */
  createOrganization(call: CallLimits, shortName: string, name: string): Promise<{ organization: StoredOrganization; alreadyExisted: boolean }>;
}

/** Runs a catalog course's response lists with it. */
const runsWithCatalogCourse = 100;
/** Runs named in the message of CATALOG_COURSE_HAS_RUNS. */
const runsNamedWhenProtected = 5;

function catalogCourseNotFound(ref: CatalogCourseRef): LearnerStateError {
  return new LearnerStateError("not-found", "CATALOG_COURSE_NOT_FOUND", `${describeRef(ref)} does not exist`, {
    catalogCourse: describeRef(ref),
  });
}

function courseRunNotFound(courseKey: string): LearnerStateError {
  return new LearnerStateError("not-found", "COURSE_RUN_NOT_FOUND", `no course run has the key ${courseKey}`, { courseKey });
}

function withOrgCode(run: StoredCourseRun): CourseRun {
  try {
    return { ...run, orgCode: parseLearningContextKey(run.courseKey).org ?? run.orgShortName };
  } catch (error) {
    // Stored keys were parsed and written in canonical form; one that no
    // longer parses still has its organization.
    if (error instanceof InvalidKeyError) return { ...run, orgCode: run.orgShortName };
    throw error;
  }
}

/** Splits the `limit + 1` rows read for a page into the page and where the next one starts. */
function pageOf<T extends { id: bigint }>(rows: readonly T[], size: number): Page<T> {
  const items = rows.slice(0, size);
  return { items, next: rows.length > size ? items[items.length - 1]!.id : null };
}

/** Creates the catalog rules on top of `store`. */
export function createCatalogOperations(store: CatalogStore, options: CatalogOptions): CatalogOperations {
  async function catalogCourseOf(call: CallLimits, selection: CatalogCourseSelection, field: string): Promise<StoredCatalogCourse> {
    const ref = checkCatalogCourseSelection(selection, field);
    const found = await store.findCatalogCourse(call, ref);
    if (found === null) throw catalogCourseNotFound(ref);
    return found;
  }

  async function listCourseRuns(call: CallLimits, catalogCourseId: bigint | null, after: bigint | null, size: number): Promise<Page<CourseRun>> {
    const page = pageOf(await store.listCourseRuns(call, catalogCourseId, after, size + 1), size);
    return { items: page.items.map(withOrgCode), next: page.next };
  }

  return {
    catalogCourseOf,

    async getCatalogCourse(call, selection) {
      const catalogCourse = await catalogCourseOf(call, selection, "catalog_course");
      return { catalogCourse, runs: await listCourseRuns(call, catalogCourse.id, null, runsWithCatalogCourse) };
    },

    async updateCatalogCourse(call, selection, title, languageShort) {
      const ref = checkCatalogCourseSelection(selection, "catalog_course");
      checkTitle(title, "title");
      const language = languageShort === "" ? null : languageOfShortCode(languageShort, "language_short");
      const updated = await store.updateCatalogCourse(call, ref, { title: title === "" ? null : title, language });
      if (updated === null) throw catalogCourseNotFound(ref);
      return updated;
    },

    async deleteCatalogCourse(call, selection) {
      const ref = checkCatalogCourseSelection(selection, "catalog_course");
      const deletion = await store.deleteCatalogCourse(call, ref, runsNamedWhenProtected);
      if (deletion.kind === "not-found") throw catalogCourseNotFound(ref);
      if (deletion.kind === "has-runs") {
        const more = deletion.count > deletion.courseKeys.length ? ", …" : "";
        throw new LearnerStateError(
          "failed-precondition",
          "CATALOG_COURSE_HAS_RUNS",
          `${describeRef(ref)} cannot be deleted while it has runs: ${deletion.count} (${deletion.courseKeys.join(", ")}${more}); delete them first`,
          { catalogCourse: describeRef(ref), runCount: String(deletion.count), courseKeys: deletion.courseKeys.join(" ") },
        );
      }
    },

    async getCourseRun(call, courseKey) {
      const key = parseCourseRunKey(courseKey, "course_key");
      const run = await store.findCourseRun(call, key.courseKey);
      if (run === null) throw courseRunNotFound(key.courseKey);
      return withOrgCode(run);
    },

    async syncCourseRunDetails(call, courseKey, title) {
      const key = parseCourseRunKey(courseKey, "course_key");
      checkTitle(title, "title");
      // An empty title changes nothing, as `sync_course_run_details` does with a falsy one.
      const run = title === "" ? await store.findCourseRun(call, key.courseKey) : await store.updateCourseRunTitle(call, key.courseKey, title);
      if (run === null) throw courseRunNotFound(key.courseKey);
      return withOrgCode(run);
    },

    async deleteCourseRun(call, courseKey) {
      const key = parseCourseRunKey(courseKey, "course_key");
      if (!(await store.deleteCourseRun(call, key.courseKey))) throw courseRunNotFound(key.courseKey);
    },

    async createCourseRunForModulestoreCourse(call, courseKey, title, languageShort) {
      const key = parseCourseRunKey(courseKey, "course_key");
      checkTitle(title, "title");
      const language = languageShort === "" ? defaultLanguage : languageOfShortCode(languageShort, "language_short");
      const outcome = await store.createCourseRun(call, {
        ...key,
        // As the Django models' clean(): a catalog course without a title takes
        // its course code, a run without one its catalog course's title.
        runTitle: title === "" ? null : title,
        catalogCourseTitle: title === "" ? key.courseCode : title,
        language,
        createOrganization: options.autoCreateOrganizations,
      });
      switch (outcome.kind) {
        case "organization-missing":
          throw new LearnerStateError(
            "failed-precondition",
            "ORGANIZATION_AUTO_CREATE_DISABLED",
            `The organization short code "${key.orgCode}" exists in modulestore (${key.courseKey}) but not among the catalog's organizations, ` +
              "and auto-creating organizations is disabled. You can resolve this by creating the organization (CreateOrganization) " +
              "or turning on auto-creation (CATALOG_AUTO_CREATE_ORGS).",
            { orgCode: key.orgCode, courseKey: key.courseKey },
          );
        case "course-code-conflict": {
          const existing = catalogCourseKey(outcome.existing.organization.shortName, outcome.existing.courseCode);
          throw new LearnerStateError(
            "failed-precondition",
            "CATALOG_COURSE_CODE_CONFLICT",
            `${key.courseKey} names course code "${key.courseCode}", but its organization has the catalog course ${existing}: course codes are unique per organization regardless of case`,
            { courseKey: key.courseKey, catalogCourse: existing },
          );
        }
        case "run-key-conflict":
          throw new LearnerStateError(
            "failed-precondition",
            "COURSE_RUN_KEY_CONFLICT",
            `${key.courseKey} names a run that exists as ${outcome.existing.courseKey}: course keys are unique regardless of case, and so are the runs of a catalog course`,
            { courseKey: key.courseKey, existingCourseKey: outcome.existing.courseKey },
          );
        default:
          return {
            run: withOrgCode(outcome.run),
            catalogCourse: outcome.catalogCourse,
            alreadyExisted: outcome.kind === "existed",
            catalogCourseCreated: outcome.catalogCourseCreated,
            organizationCreated: outcome.organizationCreated,
            orgCaseDiffers: outcome.catalogCourse.organization.shortName !== key.orgCode,
          };
      }
    },

    async organizationOf(call, orgCode, field) {
      const organization = await store.findOrganization(call, orgCode);
      if (organization === null) {
        throw new LearnerStateError("not-found", "ORGANIZATION_NOT_FOUND", `${field}: no organization has the short name ${JSON.stringify(orgCode.slice(0, 200))}`, {
          field,
          orgCode,
        });
      }
      return organization;
    },

    listCatalogCourses: async (call, organizationId, after, size) => pageOf(await store.listCatalogCourses(call, organizationId, after, size + 1), size),

    listCourseRuns,

    async createOrganization(call, shortName, name) {
      const checkedName = checkOrganizationFields(shortName, name);
      const { organization, created } = await store.createOrganization(call, shortName, checkedName);
      return { organization, alreadyExisted: !created };
    },
  };
}

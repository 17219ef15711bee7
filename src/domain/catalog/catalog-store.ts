import type { CallLimits, Micros } from "../state/index.js";
import type { CatalogCourseRef } from "./catalog-course-ref.js";

/** An organization as stored. */
export interface StoredOrganization {
  readonly id: bigint;
  readonly shortName: string;
  readonly name: string;
  readonly created: Micros;
  readonly modified: Micros;
}

/** A catalog course as stored, with its organization. */
export interface StoredCatalogCourse {
  readonly id: bigint;
  readonly organization: StoredOrganization;
  readonly courseCode: string;
  readonly title: string;
  /** As stored: `en`, `zh-cn`. */
  readonly language: string;
  readonly created: Micros;
  readonly modified: Micros;
}

/** A course run as stored. */
export interface StoredCourseRun {
  /** Increases in creation order; never reused. */
  readonly id: bigint;
  /** Canonical course key. */
  readonly courseKey: string;
  readonly catalogCourseId: bigint;
  /** Its catalog course's organization's short name and course code. */
  readonly orgShortName: string;
  readonly courseCode: string;
  readonly runCode: string;
  readonly title: string;
  readonly created: Micros;
  readonly modified: Micros;
}

/** Changes to a catalog course; null leaves a column as it is. */
export interface CatalogCourseChanges {
  readonly title: string | null;
  readonly language: string | null;
}

/** What CreateCourseRunForModulestoreCourse asks the store to make sure exists. */
export interface CourseRunDraft {
  readonly courseKey: string;
  readonly orgCode: string;
  readonly courseCode: string;
  readonly runCode: string;
  /** CCX runs share their course's run code, so (catalog course, run code) need not be unique for them. */
  readonly ccx: boolean;
  /** The title of a new run; null: its catalog course's title. */
  readonly runTitle: string | null;
  /** The title and language of a new catalog course. */
  readonly catalogCourseTitle: string;
  readonly language: string;
  /** Whether a missing organization may be created. */
  readonly createOrganization: boolean;
}

/**
 * What came of a {@link CourseRunDraft}. Outcomes other than "created" and
 * "existed" changed nothing.
 */
export type CourseRunOutcome =
  | {
      readonly kind: "created" | "existed";
      readonly run: StoredCourseRun;
      readonly catalogCourse: StoredCatalogCourse;
      readonly organizationCreated: boolean;
      readonly catalogCourseCreated: boolean;
    }
  /** No organization has the key's org, and none may be created. */
  | { readonly kind: "organization-missing" }
  /** The organization has a catalog course whose code differs from the key's only in case. */
  | { readonly kind: "course-code-conflict"; readonly existing: StoredCatalogCourse }
  /** A run exists under another spelling of the key, or another key form with the same run code. */
  | { readonly kind: "run-key-conflict"; readonly existing: StoredCourseRun };

/** What a deletion of a catalog course came to. */
export type CatalogCourseDeletion =
  | { readonly kind: "deleted" }
  | { readonly kind: "not-found" }
  /** Runs protect it: the first few of their keys, and how many there are. */
  | { readonly kind: "has-runs"; readonly courseKeys: readonly string[]; readonly count: number };

/**
 * What the catalog rules need from persistence. Implementations raise
 * `LearnerStateError` of kind "unavailable" when the database cannot be
 * reached; every method that writes is atomic, and unique constraints (not
 * look-ups) decide between concurrent creators.
 */
export interface CatalogStore {
  /** The organization whose short name equals `shortName` regardless of case, or null. */
  findOrganization(call: CallLimits, shortName: string): Promise<StoredOrganization | null>;
  /** Creates the organization unless one with this short name (regardless of case) exists; returns it and whether it was created. */
  createOrganization(call: CallLimits, shortName: string, name: string): Promise<{ organization: StoredOrganization; created: boolean }>;
  /** The catalog course `ref` names, or null. */
  findCatalogCourse(call: CallLimits, ref: CatalogCourseRef): Promise<StoredCatalogCourse | null>;
  /** Applies `changes` (moving its modification time when any) and returns the result; null when there is no such catalog course. */
  updateCatalogCourse(call: CallLimits, ref: CatalogCourseRef, changes: CatalogCourseChanges): Promise<StoredCatalogCourse | null>;
  /** Deletes the catalog course unless runs reference it. */
  deleteCatalogCourse(call: CallLimits, ref: CatalogCourseRef, runsNamed: number): Promise<CatalogCourseDeletion>;
  /** Up to `limit` catalog courses (of organization `organizationId` when not null) after id `after` (null: from the first), by id. */
  listCatalogCourses(call: CallLimits, organizationId: bigint | null, after: bigint | null, limit: number): Promise<StoredCatalogCourse[]>;
  /** The run whose canonical course key is exactly `courseKey`, or null. */
  findCourseRun(call: CallLimits, courseKey: string): Promise<StoredCourseRun | null>;
  /** Sets the run's title (moving its modification time) and returns it; null when there is no such run. */
  updateCourseRunTitle(call: CallLimits, courseKey: string, title: string): Promise<StoredCourseRun | null>;
  /** Deletes the run; false when there was none. */
  deleteCourseRun(call: CallLimits, courseKey: string): Promise<boolean>;
  /** Up to `limit` runs (of catalog course `catalogCourseId` when not null) after id `after` (null: from the first), by id. */
  listCourseRuns(call: CallLimits, catalogCourseId: bigint | null, after: bigint | null, limit: number): Promise<StoredCourseRun[]>;
  /** Makes sure the draft's organization, catalog course and run exist, in one transaction. */
  createCourseRun(call: CallLimits, draft: CourseRunDraft): Promise<CourseRunOutcome>;
}

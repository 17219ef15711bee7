"""The catalog calls (client.catalog, named as openedx_catalog.api) against a real server with HS256 tokens."""

import datetime
import unittest

from server_fixture import Server, mint_token, unique

from learnerstate_client import (CatalogCourse, CourseRun, DoesNotExist, FailedPrecondition, InvalidArgument, LearnerStateClient,
                                 Organization, PermissionDenied)

SECRET = "python-catalog-test-secret-0123456789abcdef"
ISSUER = "https://lms.example/oauth2"
AUDIENCE = "learnerstate"

SERVER = None


def token(claims):
    return mint_token({"sub": "5", "preferred_username": unique("caller"), **claims}, SECRET, ISSUER, AUDIENCE)


def client(claims):
    return LearnerStateClient(SERVER.target, token=token(claims), timeout=20)


def setUpModule():
    global SERVER
    SERVER = Server(env={"JWT_SECRET": SECRET, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE})


def tearDownModule():
    code = SERVER.stop()
    if code != 0:
        raise AssertionError("the server exited with {} after SIGTERM".format(code))


class CatalogTest(unittest.TestCase):
    def setUp(self):
        # The LMS's publish hook: it may write the catalog, and (as every token) read it.
        writer = client({"scopes": ["catalog:write"]})
        self.addCleanup(writer.close)
        self.catalog = writer.catalog
        self.org = unique("Org")
        self.course = unique("Course")
        self.key = "course-v1:{}+{}+2026".format(self.org, self.course)

    def test_create_course_run_makes_the_run_its_catalog_course_and_organization(self):
        run = self.catalog.create_course_run_for_modulestore_course_with(self.key, title="Calculus", language_short="zh_HANS")
        self.assertIsInstance(run, CourseRun)
        self.assertEqual((run.course_key, run.org_code, run.course_code, run.run_code, run.title),
                         (self.key, self.org, self.course, "2026", "Calculus"))
        self.assertEqual(run.catalog_course_key, "catalog-course:{}:{}".format(self.org, self.course))
        self.assertEqual(run.created.tzinfo, datetime.timezone.utc)

        course = self.catalog.get_catalog_course(key_str=run.catalog_course_key)
        self.assertIsInstance(course, CatalogCourse)
        self.assertEqual((course.id, course.title, course.language, course.language_short), (run.catalog_course_id, "Calculus", "zh-cn", "zh_HANS"))
        self.assertIsInstance(course.org, Organization)
        self.assertEqual((course.org_code, course.org.name), (self.org, self.org))
        self.assertEqual(course.runs, (run,))
        # By id, and by codes with the org in another case.
        self.assertEqual(self.catalog.get_catalog_course(pk=course.id), course)
        self.assertEqual(self.catalog.get_catalog_course(org_code=self.org.upper(), course_code=self.course), course)
        self.assertEqual(self.catalog.get_course_run(self.key), run)

    def test_an_existing_run_is_returned_unchanged_with_a_warning_logged(self):
        first = self.catalog.create_course_run_for_modulestore_course_with(self.key, title="First")
        with self.assertLogs("learnerstate_client.catalog", "WARNING") as logged:
            again = self.catalog.create_course_run_for_modulestore_course_with(self.key, title="Second")
        self.assertEqual(again, first)
        self.assertIn('Expected to create CourseRun for "{}" but it already existed.'.format(self.key), logged.output[0])

    def test_update_sync_and_delete(self):
        run = self.catalog.create_course_run_for_modulestore_course_with(self.key, title="Draft")
        updated = self.catalog.update_catalog_course(run.catalog_course_key, title="Calculus I", language_short="es")
        self.assertEqual((updated.title, updated.language_short, updated.runs), ("Calculus I", "es", None))
        self.assertEqual(self.catalog.update_catalog_course(updated).title, "Calculus I")
        self.assertEqual(self.catalog.sync_course_run_details(self.key, title="Published").title, "Published")
        self.assertEqual(self.catalog.sync_course_run_details(self.key, title=None).title, "Published")

        with self.assertRaises(FailedPrecondition) as protected:
            self.catalog.delete_catalog_course(updated)
        self.assertEqual(protected.exception.reason, "CATALOG_COURSE_HAS_RUNS")
        self.assertIn(self.key, protected.exception.metadata["courseKeys"])

        self.catalog.delete_course_run(self.key)
        with self.assertRaises(DoesNotExist):
            self.catalog.get_course_run(self.key)
        self.catalog.delete_catalog_course(updated.id)
        with self.assertRaises(self.catalog.DoesNotExist) as missing:
            self.catalog.get_catalog_course(pk=updated.id)
        self.assertEqual(missing.exception.reason, "CATALOG_COURSE_NOT_FOUND")

    def test_lists_follow_every_page_in_creation_order(self):
        keys = ["course-v1:{}+{}+R{}".format(self.org, self.course, index) for index in range(7)]
        for key in keys:
            self.catalog.create_course_run_for_modulestore_course_with(key, title=key)
        self.assertEqual([run.course_key for run in self.catalog.list_course_runs("catalog-course:{}:{}".format(self.org, self.course), page_size=3)], keys)
        other = self.catalog.create_course_run_for_modulestore_course_with("course-v1:{}+Other+2026".format(self.org), title="Other")
        self.assertEqual([course.course_code for course in self.catalog.list_catalog_courses(org_code=self.org.lower(), page_size=1)],
                         [self.course, other.course_code])
        with self.assertRaises(DoesNotExist):
            list(self.catalog.list_catalog_courses(org_code=unique("NoOrg")))

    def test_get_catalog_course_follows_runs_beyond_the_first_page(self):
        keys = ["course-v1:{}+{}+R{:03d}".format(self.org, self.course, index) for index in range(103)]
        for key in keys:
            self.catalog.create_course_run_for_modulestore_course_with(key, title="Run")
        course = self.catalog.get_catalog_course(org_code=self.org, course_code=self.course)
        self.assertEqual([run.course_key for run in course.runs], keys)

    def test_add_organization(self):
        organization = self.catalog.add_organization(self.org, "The Org")
        self.assertEqual((organization.short_name, organization.name), (self.org, "The Org"))
        self.assertEqual(self.catalog.add_organization(self.org.upper()), organization)

    def test_bad_input_is_invalid_argument_naming_the_field(self):
        cases = [
            (lambda: self.catalog.create_course_run_for_modulestore_course_with("library-v1:{}+Lib".format(self.org), title="t"),
             "NOT_A_COURSE_RUN_KEY", "course_key"),
            (lambda: self.catalog.create_course_run_for_modulestore_course_with(self.key, title="t", language_short="english"),
             "INVALID_LANGUAGE_CODE", "language_short"),
            (lambda: self.catalog.get_catalog_course(key_str="edX:DemoX"), "INVALID_CATALOG_COURSE", "catalog_course.key"),
            (lambda: self.catalog.add_organization("with space"), "INVALID_ORGANIZATION", "short_name"),
        ]
        for call, reason, field in cases:
            with self.assertRaises(InvalidArgument) as caught:
                call()
            self.assertEqual((caught.exception.reason, caught.exception.metadata.get("field")), (reason, field))
        with self.assertRaises(ValueError):
            self.catalog.get_catalog_course(pk=1, key_str="catalog-course:a:b")
        with self.assertRaises(DoesNotExist):
            self.catalog.get_course_run(self.key)


class CatalogPermissionTest(unittest.TestCase):
    def test_reads_need_any_token_and_writes_need_catalog_write(self):
        org = unique("Org")
        key = "course-v1:{}+Course+2026".format(org)
        with client({"scopes": ["catalog:write"], "filters": ["content_org:{}".format(org.lower())]}) as writer:
            writer.catalog.create_course_run_for_modulestore_course_with(key, title="Allowed")
            with self.assertRaises(PermissionDenied):
                writer.catalog.create_course_run_for_modulestore_course_with("course-v1:{}+Course+2026".format(unique("Elsewhere")), title="t")
        # A learner's browser JWT reads the catalog and changes nothing.
        with client({"scopes": ["read", "write", "email", "profile"], "filters": ["user:me"]}) as learner:
            self.assertEqual(learner.catalog.get_course_run(key).title, "Allowed")
            with self.assertRaises(PermissionDenied) as denied:
                learner.catalog.sync_course_run_details(key, title="Hijacked")
            self.assertEqual(denied.exception.code, "PERMISSION_DENIED")
            self.assertEqual(learner.catalog.get_course_run(key).title, "Allowed")


if __name__ == "__main__":
    unittest.main()

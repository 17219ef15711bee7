"""The course catalog (``learnerstate.v1.CatalogService``) with the function
names and semantics of Open edX's ``openedx_catalog.api``.

Reached through :attr:`learnerstate_client.LearnerStateClient.catalog`::

    course = client.catalog.get_catalog_course(key_str="catalog-course:edX:DemoX")
    course.title, course.language_short, [run.course_key for run in course.runs]

Missing entries raise :class:`~learnerstate_client.errors.DoesNotExist` (as
the Django models' ``DoesNotExist``), a catalog course with runs raises
:class:`~learnerstate_client.errors.FailedPrecondition` on deletion (Django's
``ProtectedError``), bad input :class:`~learnerstate_client.errors.InvalidArgument`.
"""

import collections
import logging

from . import errors
from ._proto import catalog_pb2, catalog_service_pb2, catalog_service_pb2_grpc
from ._times import datetime_of as _datetime

log = logging.getLogger(__name__)


class Organization(collections.namedtuple("Organization", ["id", "short_name", "name", "created", "modified"])):
    """An organization (edx-organizations' ``Organization``): ``short_name`` is unique regardless of case."""

    __slots__ = ()


class CatalogCourse(collections.namedtuple(
        "CatalogCourse", ["id", "key_str", "org", "course_code", "title", "language", "language_short", "created", "modified", "runs"])):
    """A catalog course: the set of runs of one course of one organization.

    Attributes:
        id: the service's id (``get_catalog_course(pk=…)``).
        key_str: ``catalog-course:<org short name>:<course code>``.
        org: its :class:`Organization`.
        course_code: for example ``"DemoX"``.
        title: its title (display name).
        language: as stored, ``"en"``, ``"zh-cn"``; ``language_short`` as
            the platform's ``ALL_LANGUAGES`` writes it, ``"en"``, ``"zh_HANS"``.
        created, modified: timezone-aware UTC datetimes.
        runs: a tuple of its :class:`CourseRun`\\ s in creation order, every
            one of them, as returned by :meth:`CatalogClient.get_catalog_course`;
            ``None`` where the call returned the course without them (lists,
            updates).
    """

    __slots__ = ()

    @property
    def org_code(self):
        """The organization's short name, as the Django model's ``org_code``."""
        return self.org.short_name


class CourseRun(collections.namedtuple(
        "CourseRun", ["course_key", "catalog_course_id", "catalog_course_key", "org_code", "course_code", "run_code", "title", "created", "modified"])):
    """One run of a catalog course, named by its course key (canonical string).

    ``org_code`` is the org as the course key spells it, which may differ in
    case from the organization's short name.
    """

    __slots__ = ()


def _organization(message):
    return Organization(message.id, message.short_name, message.name, _datetime(message.create_time), _datetime(message.update_time))


def _catalog_course(message, runs=None):
    return CatalogCourse(message.id, message.key, _organization(message.org), message.course_code, message.title, message.language,
                         message.language_short, _datetime(message.create_time), _datetime(message.update_time), runs)


def _course_run(message):
    return CourseRun(message.course_key, message.catalog_course_id, message.catalog_course_key, message.org_code, message.course_code,
                     message.run_code, message.title, _datetime(message.create_time), _datetime(message.update_time))


def _text(value, what):
    if isinstance(value, bytes):
        raise TypeError("{} must be str or an opaque key, not bytes".format(what))
    return str(value)


def _selector(pk=None, key_str="", org_code="", course_code=""):
    """A CatalogCourseSelector for exactly one of pk, key_str, or org_code with course_code."""
    given = [pk is not None, bool(key_str), bool(org_code or course_code)]
    if given.count(True) != 1:
        raise ValueError("give exactly one of pk, key_str, or org_code and course_code")
    if pk is not None:
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise TypeError("pk must be an int")
        return catalog_pb2.CatalogCourseSelector(id=pk)
    if key_str:
        return catalog_pb2.CatalogCourseSelector(key=_text(key_str, "key_str"))
    return catalog_pb2.CatalogCourseSelector(org_course=catalog_pb2.OrgCourseCode(org_code=org_code, course_code=course_code))


def _selector_of(catalog_course):
    """A selector for a CatalogCourse, its id (int) or its key string."""
    if isinstance(catalog_course, CatalogCourse):
        return _selector(pk=catalog_course.id)
    if isinstance(catalog_course, int) and not isinstance(catalog_course, bool):
        return _selector(pk=catalog_course)
    if isinstance(catalog_course, str):
        return _selector(key_str=catalog_course)
    raise TypeError("catalog_course must be a CatalogCourse, its id or its key string, not {}".format(type(catalog_course).__name__))


class CatalogClient:
    """The catalog calls of a :class:`~learnerstate_client.LearnerStateClient`,
    which lends its channel, token and timeout. Get it as ``client.catalog``.

    Unlike the Django API, every call is checked: reads need any valid token,
    writes an administrator token or scope ``catalog:write``.
    """

    DoesNotExist = errors.DoesNotExist
    FailedPrecondition = errors.FailedPrecondition
    InvalidArgument = errors.InvalidArgument

    def __init__(self, channel, unary):
        self._stub = catalog_service_pb2_grpc.CatalogServiceStub(channel)
        self._unary = unary

    def get_catalog_course(self, pk=None, key_str="", org_code="", course_code=""):
        """A catalog course with all its runs, named by exactly one of ``pk``,
        ``key_str`` (``"catalog-course:<org>:<course>"``), or ``org_code`` and
        ``course_code`` (the org regardless of case, the course code exactly).

        Raises:
            DoesNotExist: there is no such catalog course.
            ValueError: not exactly one way of naming it was given.
        """
        response = self._unary(self._stub.GetCatalogCourse,
                               catalog_service_pb2.GetCatalogCourseRequest(catalog_course=_selector(pk, key_str, org_code, course_code)))
        runs = [_course_run(run) for run in response.runs]
        if response.runs_next_page_token:
            runs.extend(self._course_runs(_selector(pk=response.catalog_course.id), None, response.runs_next_page_token))
        return _catalog_course(response.catalog_course, tuple(runs))

    def update_catalog_course(self, catalog_course, *, title=None, language_short=None):
        """Sets the title and/or the language (a short code of the platform's
        ``ALL_LANGUAGES``: ``"en"``, ``"es"``, ``"zh_HANS"``); ``None`` (or an
        empty string) leaves a field unchanged.

        ``catalog_course`` is a :class:`CatalogCourse`, its id or its key
        string. Returns the updated :class:`CatalogCourse` (without ``runs``).

        Raises:
            DoesNotExist: there is no such catalog course.
            InvalidArgument: the title is over 255 characters, or the language
                code is not one of ALL_LANGUAGES; nothing was changed.
        """
        request = catalog_service_pb2.UpdateCatalogCourseRequest(catalog_course=_selector_of(catalog_course), title=title or "",
                                                                 language_short=language_short or "")
        return _catalog_course(self._unary(self._stub.UpdateCatalogCourse, request).catalog_course)

    def delete_catalog_course(self, catalog_course):
        """Deletes a catalog course that has no runs. Returns ``None``.

        Raises:
            FailedPrecondition: it has runs (Django's ``ProtectedError``); the
                message and ``metadata["courseKeys"]`` name them.
            DoesNotExist: there is no such catalog course.
        """
        self._unary(self._stub.DeleteCatalogCourse, catalog_service_pb2.DeleteCatalogCourseRequest(catalog_course=_selector_of(catalog_course)))

    def get_course_run(self, course_key):
        """The :class:`CourseRun` of ``course_key`` (a string or opaque key), matched exactly.

        Raises:
            DoesNotExist: there is no such run.
            InvalidArgument: the key is not a course run's (a library, say).
        """
        request = catalog_service_pb2.GetCourseRunRequest(course_key=_text(course_key, "course_key"))
        return _course_run(self._unary(self._stub.GetCourseRun, request).course_run)

    def sync_course_run_details(self, course_key, *, title):
        """Updates a run with details from a more authoritative source (today
        its title); a ``None`` or empty title changes nothing. Returns the
        :class:`CourseRun`.

        Raises:
            DoesNotExist: there is no such run.
        """
        request = catalog_service_pb2.SyncCourseRunDetailsRequest(course_key=_text(course_key, "course_key"), title=title or "")
        return _course_run(self._unary(self._stub.SyncCourseRunDetails, request).course_run)

    def create_course_run_for_modulestore_course_with(self, course_key, *, title, language_short=None):
        """Creates the :class:`CourseRun` of a modulestore course (and, when
        needed, its catalog course and organization), and returns it.

        If the run already exists it is returned unchanged and a warning is
        logged, as the Django API does. Safe to call concurrently for the same
        course: it is created once. ``language_short`` (default ``"en"``)
        applies only to a catalog course this call creates.

        Raises:
            FailedPrecondition: the organization does not exist and the
                service does not create organizations (CATALOG_AUTO_CREATE_ORGS
                is off), or the run exists under another spelling of the key.
            InvalidArgument: the key is not a course run's, the title is over
                255 characters, or the language code is unknown.
        """
        request = catalog_service_pb2.CreateCourseRunForModulestoreCourseRequest(
            course_key=_text(course_key, "course_key"), title=title or "", language_short=language_short or "")
        response = self._unary(self._stub.CreateCourseRunForModulestoreCourse, request)
        if response.already_existed:
            log.warning('Expected to create CourseRun for "%s" but it already existed.', response.course_run.course_key)
        return _course_run(response.course_run)

    def delete_course_run(self, course_key):
        """Deletes a run (not its catalog course). Returns ``None``.

        Raises:
            DoesNotExist: there is no such run.
        """
        self._unary(self._stub.DeleteCourseRun, catalog_service_pb2.DeleteCourseRunRequest(course_key=_text(course_key, "course_key")))

    def list_catalog_courses(self, org_code=None, page_size=None):
        """Yields every catalog course (of the organization ``org_code``,
        matched regardless of case, when given) in creation order, without
        ``runs``, fetching ``page_size`` per call (service default 100).

        Raises (while iterating):
            DoesNotExist: no organization has the short name ``org_code``.
        """
        token = ""
        while True:
            response = self._unary(self._stub.ListCatalogCourses, catalog_service_pb2.ListCatalogCoursesRequest(
                org_code=org_code or "", page_size=page_size or 0, page_token=token))
            for course in response.catalog_courses:
                yield _catalog_course(course)
            token = response.next_page_token
            if not token:
                return

    def list_course_runs(self, catalog_course=None, page_size=None):
        """Yields every :class:`CourseRun` (of ``catalog_course`` when given: a
        :class:`CatalogCourse`, its id or its key string) in creation order.

        Raises (while iterating):
            DoesNotExist: there is no such catalog course.
        """
        selector = None if catalog_course is None else _selector_of(catalog_course)
        return self._course_runs(selector, page_size, "")

    def _course_runs(self, selector, page_size, token):
        while True:
            request = catalog_service_pb2.ListCourseRunsRequest(page_size=page_size or 0, page_token=token)
            if selector is not None:
                request.catalog_course.CopyFrom(selector)
            response = self._unary(self._stub.ListCourseRuns, request)
            for run in response.course_runs:
                yield _course_run(run)
            token = response.next_page_token
            if not token:
                return

    def add_organization(self, short_name, name=None):
        """Creates an organization (edx-organizations' ``add_organization``) and
        returns it; when one with this short name exists (regardless of case)
        it is returned unchanged. ``name`` defaults to the short name.

        Raises:
            InvalidArgument: the short name is not 1 to 255 of A-Z, a-z, 0-9,
                ``.``, ``-``, ``_``, or the name is over 255 characters.
        """
        request = catalog_service_pb2.CreateOrganizationRequest(short_name=short_name, name=name or "")
        return _organization(self._unary(self._stub.CreateOrganization, request).organization)

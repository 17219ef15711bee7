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
from ._plans import Continued, Paged, Unary, method_of
from ._proto import catalog_pb2, catalog_service_pb2
from ._times import datetime_of as _datetime

log = logging.getLogger(__name__)

# The key under which a client keeps its CatalogService stub.
_SERVICE = "catalog"


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


def _get_catalog_course(pk=None, key_str="", org_code="", course_code=""):
    """A catalog course with all its runs, named by exactly one of ``pk``,
    ``key_str`` (``"catalog-course:<org>:<course>"``), or ``org_code`` and
    ``course_code`` (the org regardless of case, the course code exactly).

    Raises:
        DoesNotExist: there is no such catalog course.
        ValueError: not exactly one way of naming it was given.
    """
    request = catalog_service_pb2.GetCatalogCourseRequest(catalog_course=_selector(pk, key_str, org_code, course_code))

    def more_runs(response):
        if not response.runs_next_page_token:
            return None
        return _course_runs_pages(_selector(pk=response.catalog_course.id), None, response.runs_next_page_token)

    def answer(response, more):
        return _catalog_course(response.catalog_course, tuple([_course_run(run) for run in response.runs] + more))

    return Continued(Unary(_SERVICE, "GetCatalogCourse", request, None), more_runs, answer)


def _update_catalog_course(catalog_course, *, title=None, language_short=None):
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
    return Unary(_SERVICE, "UpdateCatalogCourse", request, lambda response: _catalog_course(response.catalog_course))


def _delete_catalog_course(catalog_course):
    """Deletes a catalog course that has no runs. Returns ``None``.

    Raises:
        FailedPrecondition: it has runs (Django's ``ProtectedError``); the
            message and ``metadata["courseKeys"]`` name them.
        DoesNotExist: there is no such catalog course.
    """
    request = catalog_service_pb2.DeleteCatalogCourseRequest(catalog_course=_selector_of(catalog_course))
    return Unary(_SERVICE, "DeleteCatalogCourse", request, _nothing)


def _get_course_run(course_key):
    """The :class:`CourseRun` of ``course_key`` (a string or opaque key), matched exactly.

    Raises:
        DoesNotExist: there is no such run.
        InvalidArgument: the key is not a course run's (a library, say).
    """
    request = catalog_service_pb2.GetCourseRunRequest(course_key=_text(course_key, "course_key"))
    return Unary(_SERVICE, "GetCourseRun", request, _run_of_response)


def _sync_course_run_details(course_key, *, title):
    """Updates a run with details from a more authoritative source (today
    its title); a ``None`` or empty title changes nothing. Returns the
    :class:`CourseRun`.

    Raises:
        DoesNotExist: there is no such run.
    """
    request = catalog_service_pb2.SyncCourseRunDetailsRequest(course_key=_text(course_key, "course_key"), title=title or "")
    return Unary(_SERVICE, "SyncCourseRunDetails", request, _run_of_response)


def _create_course_run_for_modulestore_course_with(course_key, *, title, language_short=None):
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

    def answer(response):
        if response.already_existed:
            log.warning('Expected to create CourseRun for "%s" but it already existed.', response.course_run.course_key)
        return _course_run(response.course_run)

    return Unary(_SERVICE, "CreateCourseRunForModulestoreCourse", request, answer)


def _delete_course_run(course_key):
    """Deletes a run (not its catalog course). Returns ``None``.

    Raises:
        DoesNotExist: there is no such run.
    """
    return Unary(_SERVICE, "DeleteCourseRun", catalog_service_pb2.DeleteCourseRunRequest(course_key=_text(course_key, "course_key")), _nothing)


def _list_catalog_courses(org_code=None, page_size=None):
    """Yields every catalog course (of the organization ``org_code``,
    matched regardless of case, when given) in creation order, without
    ``runs``, fetching ``page_size`` per call (service default 100).

    Raises (while iterating):
        DoesNotExist: no organization has the short name ``org_code``.
    """
    def request_for(token):
        return catalog_service_pb2.ListCatalogCoursesRequest(org_code=org_code or "", page_size=page_size or 0, page_token=token)

    return Paged(_SERVICE, "ListCatalogCourses", request_for, lambda response: [_catalog_course(course) for course in response.catalog_courses])


def _list_course_runs(catalog_course=None, page_size=None):
    """Yields every :class:`CourseRun` (of ``catalog_course`` when given: a
    :class:`CatalogCourse`, its id or its key string) in creation order.

    Raises (while iterating):
        DoesNotExist: there is no such catalog course.
    """
    return _course_runs_pages(None if catalog_course is None else _selector_of(catalog_course), page_size, "")


def _course_runs_pages(selector, page_size, first_token):
    def request_for(token):
        request = catalog_service_pb2.ListCourseRunsRequest(page_size=page_size or 0, page_token=token or first_token)
        if selector is not None:
            request.catalog_course.CopyFrom(selector)
        return request

    return Paged(_SERVICE, "ListCourseRuns", request_for, lambda response: [_course_run(run) for run in response.course_runs])


def _add_organization(short_name, name=None):
    """Creates an organization (edx-organizations' ``add_organization``) and
    returns it; when one with this short name exists (regardless of case)
    it is returned unchanged. ``name`` defaults to the short name.

    Raises:
        InvalidArgument: the short name is not 1 to 255 of A-Z, a-z, 0-9,
            ``.``, ``-``, ``_``, or the name is over 255 characters.
    """
    request = catalog_service_pb2.CreateOrganizationRequest(short_name=short_name, name=name or "")
    return Unary(_SERVICE, "CreateOrganization", request, lambda response: _organization(response.organization))


def _nothing(response):
    return None


def _run_of_response(response):
    return _course_run(response.course_run)


class CatalogClient:
    """The catalog calls of a :class:`~learnerstate_client.LearnerStateClient`
    (``client.catalog``), or of an
    :class:`~learnerstate_client.aio.AsyncLearnerStateClient`, whose methods
    are coroutines and async iterators; the client lends its channel, token
    and timeout.

    Unlike the Django API, every call is checked: reads need any valid token,
    writes an administrator token or scope ``catalog:write``.
    """

    DoesNotExist = errors.DoesNotExist
    FailedPrecondition = errors.FailedPrecondition
    InvalidArgument = errors.InvalidArgument

    def __init__(self, perform):
        self._perform = perform

    get_catalog_course = method_of(_get_catalog_course)
    update_catalog_course = method_of(_update_catalog_course)
    delete_catalog_course = method_of(_delete_catalog_course)
    get_course_run = method_of(_get_course_run)
    sync_course_run_details = method_of(_sync_course_run_details)
    create_course_run_for_modulestore_course_with = method_of(_create_course_run_for_modulestore_course_with)
    delete_course_run = method_of(_delete_course_run)
    list_catalog_courses = method_of(_list_catalog_courses)
    list_course_runs = method_of(_list_course_runs)
    add_organization = method_of(_add_organization)

"""Block structures: learnerstate's BlockStructureService from Python.

The methods here are part of :class:`learnerstate_client.LearnerStateClient`
(it mixes :class:`BlockStructureMethods` in), so one client and one channel
serve both services::

    with LearnerStateClient("127.0.0.1:50051", token=jwt) as client:
        client.update_collected(root, blocks, data_edit_timestamp=published_at, data_version=version)
        view = client.get_transformed("course-v1:edX+DemoX+2026", username="alice",
                                      transformers=["visibility", "start_date", "learner_progress"])
        for block in view.blocks:
            print(block.block_key, block.transformer_fields.get("learner_progress"))

XBlock field values are Python objects (JSON values) both ways, as state
values are; dates are timezone-aware datetimes.
"""

import calendar
import collections
import datetime

from ._plans import Gathered, Unary, method_of
from ._proto import block_structure_pb2, block_structure_service_pb2
from ._times import datetime_of as _datetime
from ._values import decode_fields, encode_fields
# The key under which a client keeps its BlockStructureService stub.
_SERVICE = "block_structures"

_OUTCOMES = {
    block_structure_service_pb2.UPDATE_OUTCOME_STORED: "stored",
    block_structure_service_pb2.UPDATE_OUTCOME_UNCHANGED: "unchanged",
    block_structure_service_pb2.UPDATE_OUTCOME_STALE: "stale",
}


class StructureVersion(collections.namedtuple("StructureVersion", [
        "root_block_key", "course_key", "data_version", "data_edit_timestamp", "transformers_schema_version",
        "block_structure_schema_version", "block_count"])):
    """The versions of a stored structure (upstream's BlockStructureModel fields).

    ``data_version`` is ``None`` when the publisher sent none;
    ``data_edit_timestamp`` is a timezone-aware UTC datetime.
    """

    __slots__ = ()


class UpdateResult(collections.namedtuple("UpdateResult", ["outcome", "stored"])):
    """What ``update_collected`` did: ``outcome`` is ``"stored"``, ``"unchanged"``
    (the same version was stored already) or ``"stale"`` (a later one is
    stored); ``stored`` is the :class:`StructureVersion` stored afterwards."""

    __slots__ = ()


class UpToDate(collections.namedtuple("UpToDate", ["up_to_date", "stored"])):
    """What ``is_up_to_date`` says; ``stored`` is ``None`` when the course has no structure."""

    __slots__ = ()


class CollectedBlock(collections.namedtuple("CollectedBlock", ["block_key", "block_type", "children", "parents", "fields", "transformer_data"])):
    """A block of a collected structure: ``fields`` its XBlock fields and
    ``transformer_data`` (transformer name to dict) what each transformer
    collected for it, as Python values."""

    __slots__ = ()


class CollectedStructure(collections.namedtuple("CollectedStructure", ["version", "transformer_data", "blocks"])):
    """A course's collected structure: its :class:`StructureVersion`, each
    transformer's structure-wide data (with its collected version under
    ``"_version"``), and its :class:`CollectedBlock` list in topological order."""

    __slots__ = ()


class TransformedBlock(collections.namedtuple("TransformedBlock", ["block_key", "block_type", "children", "fields", "transformer_fields"])):
    """A block as the learner sees it: surviving ``children``, the requested
    XBlock ``fields``, and ``transformer_fields`` (transformer name to dict of
    what it computed, for example ``{"learner_progress": {"earned": 3.0, ...}}``)."""

    __slots__ = ()


class TransformedStructure(collections.namedtuple("TransformedStructure", ["version", "root_block_key", "evaluated_at", "blocks"])):
    """A course as one learner sees it: :class:`TransformedBlock` list in topological order."""

    __slots__ = ()


def _timestamp(when, name):
    if not isinstance(when, datetime.datetime) or when.tzinfo is None:
        raise TypeError("{} must be a timezone-aware datetime".format(name))
    utc = when.astimezone(datetime.timezone.utc)
    return {"seconds": calendar.timegm(utc.timetuple()), "nanos": utc.microsecond * 1000}


def _version(message):
    return StructureVersion(message.root_block_key, message.course_key, message.data_version or None, _datetime(message.data_edit_timestamp),
                            message.transformers_schema_version, message.block_structure_schema_version, message.block_count)


def _transformer_fields(entries):
    return {name: decode_fields(values.fields) for name, values in entries.items()}


def _block_input(block):
    """A BlockInput from a dict with ``block_key``, and optionally ``children``, ``fields`` and ``block_type``."""
    return block_structure_pb2.BlockInput(block_key=str(block["block_key"]), block_type=block.get("block_type", ""),
                                          children=[str(child) for child in block.get("children", ())],
                                          fields=encode_fields(block.get("fields", {})))


def _update_collected(root_block_key, blocks, data_edit_timestamp, data_version=""):
    """Sends a course's block graph to be collected and stored.

    Arguments:
        root_block_key: the usage key of the root block, one of ``blocks``.
        blocks: dicts with ``block_key``, ``children`` (usage keys in
            course order), ``fields`` (XBlock field name to Python value)
            and optionally ``block_type``.
        data_edit_timestamp: when the content was last edited, a
            timezone-aware datetime (kept to the microsecond).
        data_version: the content's version; ``""`` for none.

    Returns:
        :class:`UpdateResult`.

    Raises:
        InvalidArgument: the graph is not a DAG rooted at the root, names a
            child it does not send, or has a malformed key or field;
            ``metadata["field"]`` names the block. Nothing is stored.
    """
    request = block_structure_service_pb2.UpdateCollectedRequest(
        root_block_key=str(root_block_key), blocks=[_block_input(block) for block in blocks], data_version=data_version,
        data_edit_timestamp=_timestamp(data_edit_timestamp, "data_edit_timestamp"))
    return Unary(_SERVICE, "UpdateCollected", request, lambda response: UpdateResult(_OUTCOMES[response.outcome], _version(response.stored)))

def _get_collected(course_key):
    """The course's collected structure, as this server's transformers collect it.

    Returns:
        :class:`CollectedStructure`.

    Raises:
        DoesNotExist: the course has no stored structure.
    """
    return Gathered(_SERVICE, "GetCollected", block_structure_service_pb2.GetCollectedRequest(course_key=str(course_key)), _collected_structure)


def _collected_structure(responses):
    version = None
    transformer_data = {}
    blocks = []
    for response in responses:
        if response.HasField("version"):
            version = _version(response.version)
            transformer_data = _transformer_fields(response.transformer_data)
        blocks.extend(CollectedBlock(block.block_key, block.block_type, list(block.children), list(block.parents), decode_fields(block.fields),
                                     _transformer_fields(block.transformer_data)) for block in response.blocks)
    return CollectedStructure(version, transformer_data, blocks)


def _is_up_to_date(course_key, data_edit_timestamp, data_version=""):
    """Whether the stored structure matches this content version and the
    server's transformers. A course with no structure is not up to date.

    Returns:
        :class:`UpToDate`.
    """
    request = block_structure_service_pb2.IsUpToDateRequest(course_key=str(course_key), data_version=data_version,
                                                            data_edit_timestamp=_timestamp(data_edit_timestamp, "data_edit_timestamp"))
    return Unary(_SERVICE, "IsUpToDate", request, lambda response: UpToDate(response.up_to_date, _version(response.stored) if response.HasField("stored") else None))

def _clear_block_structure(course_key):
    """Deletes the course's stored structure. Returns ``None``.

    Raises:
        DoesNotExist: the course has none (as upstream's ``clear``).
    """
    return Unary(_SERVICE, "ClearBlockStructure", block_structure_service_pb2.ClearBlockStructureRequest(course_key=str(course_key)), lambda response: None)

def _get_transformed(course_key=None, *, starting_block_key=None, username="", has_staff_access=False, evaluate_at=None,
                     user_partition_groups=None, transformers=(), requested_fields=(), block_types_to_count=(), requested_depth=None,
                     navigation_depth=None):
    """The course (or the part under ``starting_block_key``) as one learner sees it.

    Give exactly one of ``course_key`` and ``starting_block_key``.
    ``transformers`` are applied as the contract describes (filters first,
    then the others in order); ``username`` is required with
    ``library_content`` or ``learner_progress``, whose learner state is
    read with the structure. ``evaluate_at`` (a timezone-aware datetime)
    evaluates dates at another time than now, like ``has_staff_access``
    a privileged view. ``user_partition_groups`` maps partition ids to the
    learner's group id in each (their cohort's content group, enrollment
    track, experiment group) for ``user_partitions``; a partition left out
    is one the learner is in no group of. Giving any is privileged too.

    Returns:
        :class:`TransformedStructure`.

    Raises:
        InvalidArgument: an unregistered transformer (``metadata["registered"]``
            lists the registered ones) or another malformed argument.
        DoesNotExist: the course has no structure, or the starting block
            is not in it.
    """
    if (course_key is None) == (starting_block_key is None):
        raise ValueError("give exactly one of course_key and starting_block_key")
    if isinstance(transformers, str) or isinstance(requested_fields, str) or isinstance(block_types_to_count, str):
        raise TypeError("transformers, requested_fields and block_types_to_count are lists of names, not a single string")
    learner = {"username": username, "has_staff_access": has_staff_access}
    if evaluate_at is not None:
        learner["evaluate_at"] = _timestamp(evaluate_at, "evaluate_at")
    if user_partition_groups:
        learner["user_partition_groups"] = {int(partition): int(group) for partition, group in user_partition_groups.items()}
    options = block_structure_pb2.TransformerOptions(block_types_to_count=list(block_types_to_count))
    if requested_depth is not None:
        options.requested_depth = requested_depth
    if navigation_depth is not None:
        options.navigation_depth = navigation_depth
    request = block_structure_service_pb2.GetTransformedRequest(learner=block_structure_pb2.LearnerContext(**learner), transformers=list(transformers),
                                                                requested_fields=list(requested_fields), options=options)
    if course_key is not None:
        request.course_key = str(course_key)
    else:
        request.starting_block_key = str(starting_block_key)
    return Gathered(_SERVICE, "GetTransformed", request, _transformed_structure)


def _transformed_structure(responses):
    version = root = evaluated_at = None
    blocks = []
    for response in responses:
        if response.HasField("version"):
            version, root, evaluated_at = _version(response.version), response.root_block_key, _datetime(response.evaluated_at)
        blocks.extend(TransformedBlock(block.block_key, block.block_type, list(block.children), decode_fields(block.fields),
                                       _transformer_fields(block.transformer_fields)) for block in response.blocks)
    return TransformedStructure(version, root, evaluated_at, blocks)


class BlockStructureMethods:
    """BlockStructureService's calls, mixed into LearnerStateClient and
    AsyncLearnerStateClient (which perform them, blocking or on grpc.aio)."""

    update_collected = method_of(_update_collected)
    get_collected = method_of(_get_collected)
    is_up_to_date = method_of(_is_up_to_date)
    clear_block_structure = method_of(_clear_block_structure)
    get_transformed = method_of(_get_transformed)

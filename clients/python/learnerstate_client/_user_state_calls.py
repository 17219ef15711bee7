"""The requests and answers of ``UserStateService``, shared by the blocking
client (:mod:`learnerstate_client.client`) and the asyncio one
(:mod:`learnerstate_client.aio`): they differ only in how calls are made."""

import collections
import enum
import json
import random

import grpc

from . import errors
from ._proto import user_state_pb2, user_state_service_pb2
from ._times import datetime_of
from ._values import decode_states, encode_fields

# Per-call maxima of the service's default configuration (MAX_READ_BLOCKS,
# MAX_WRITE_BLOCKS). The clients split larger requests into calls of this size.
DEFAULT_MAX_READ_BLOCKS = 10000
DEFAULT_MAX_WRITE_BLOCKS = 1000
# Responses may be as large as the service's MAX_MESSAGE_BYTES (16 MiB by
# default), beyond grpcio's default limit of 4 MiB.
# gRPC's own retries (gRFC A6) for calls the server turned away before doing
# anything (RESOURCE_EXHAUSTED, reason OVERLOADED): after the server's
# grpc-retry-pushback-ms, else exponential back-off with jitter, and no more
# while most calls fail (retryThrottling: a budget of tokens, each failure
# costs one, each success earns back a tenth). The server sends a pushback of
# -1 (do not retry) with every other RESOURCE_EXHAUSTED. Streams are retried
# only before their first message.
_SERVICE_CONFIG = {
    "methodConfig": [{
        "name": [{"service": "learnerstate.v1." + service}
                 for service in ("UserStateService", "KeyService", "CatalogService", "BlockStructureService")],
        "retryPolicy": {"maxAttempts": 4, "initialBackoff": "0.05s", "maxBackoff": "2s", "backoffMultiplier": 2,
                        "retryableStatusCodes": ["RESOURCE_EXHAUSTED"]},
    }],
    "retryThrottling": {"maxTokens": 10, "tokenRatio": 0.1},
}
# HTTP/2 keepalive pings while calls are open (every 30 s, 10 s to answer;
# also on a stream that only receives, as a watch does): a connection that
# stopped answering without a reset (a peer or NAT entry gone) fails its calls
# with UNAVAILABLE, which watch_changes and iter_all_* resume from, instead of
# hanging until TCP gives up hours later. The server answers pings itself.
KEEPALIVE_OPTIONS = [("grpc.keepalive_time_ms", 30000), ("grpc.keepalive_timeout_ms", 10000), ("grpc.http2.max_pings_without_data", 0)]
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 64 * 1024 * 1024),
                   ("grpc.service_config", json.dumps(_SERVICE_CONFIG))] + KEEPALIVE_OPTIONS


class Scope(enum.IntEnum):
    """The XBlock field scope of a piece of state (``learnerstate.v1.Scope``).

    Methods also accept ``xblock.fields.Scope`` objects (matched by their
    ``name``, such as ``"user_state"``), scope names as strings, and the
    numbers of the protobuf enum. The service stores every scope, keyed as
    XBlock keys it: ``USER_STATE`` per learner and block, ``PREFERENCES`` per
    learner and block type (every key of that type reaches the same state),
    ``USER_INFO`` per learner (every key reaches it), ``USER_STATE_SUMMARY``
    per block, shared by all learners (its states have ``username == ""``).
    ``iter_all_for_course`` serves ``USER_STATE`` and ``USER_STATE_SUMMARY``,
    ``iter_all_for_block`` those and ``PREFERENCES``; other combinations get
    :class:`~learnerstate_client.errors.InvalidArgument`.
    """

    USER_STATE = 1
    PREFERENCES = 2
    USER_INFO = 3
    USER_STATE_SUMMARY = 4

    # The spelling of xblock.fields.Scope, so `Scope.user_state` reads as in edx-platform.
    user_state = 1
    preferences = 2
    user_info = 3
    user_state_summary = 4


class XBlockUserState(collections.namedtuple("XBlockUserState", ["username", "block_key", "state", "updated", "scope"])):
    """The state of one block for one learner, as in edx-platform, with its etag.

    Attributes:
        username: the learner's username. A ``USER_STATE_SUMMARY`` state
            belongs to no learner: ``get``/``get_many`` report the username
            the call named, ``get_history`` and ``iter_all_*`` report ``""``.
        block_key: the block's usage key: the object the caller passed (for
            example an opaque-keys ``UsageKey``) where the call named blocks,
            else the canonical key string the service stores.
        state: dict of field name to value; ``None`` in a history entry that
            deleted the block's state.
        updated: when the state was last written (history: when this write
            happened), a timezone-aware UTC datetime with microseconds.
        scope: the scope the call was made for, as the caller passed it.
        etag: the opaque version of the stored state this was read from
            (``get``, ``get_many``, ``iter_all_*``): pass it as ``etag=`` to
            ``set``/``delete`` (or in ``etags=``) to write only if nobody
            wrote the state since. It changes with every write of the state,
            also one that leaves the same values. ``None`` in history entries
            (the service gives none) and in states built by hand.

    ``etag`` is an attribute beside the tuple, not one of its items: the
    tuple stays the five items of edx-platform's ``XBlockUserState``
    (unpacking, ``len`` and ``==`` ignore the etag), and ``_replace`` keeps it.
    """

    etag = None

    def __new__(cls, username, block_key, state, updated, scope, etag=None):
        self = super().__new__(cls, username, block_key, state, updated, scope)
        if etag is not None:
            self.etag = etag
        return self

    def _replace(self, **changes):
        etag = changes.pop("etag", self.etag)
        replaced = super()._replace(**changes)
        if etag is not None:
            replaced.etag = etag
        return replaced


class LearnerErasure(collections.namedtuple("LearnerErasure", ["user_states", "preferences", "user_infos", "history_entries"])):
    """What ``retire_learner`` erased: numbers of current states of scopes
    user_state, preferences and user_info, and of history entries of all
    three. All 0 when there was nothing (also on a repeat)."""

    __slots__ = ()


def scope_number(scope):
    """The protobuf enum number of ``scope`` (a Scope, an xblock Scope, a name or a number)."""
    if isinstance(scope, bool):
        raise TypeError("scope must be a Scope, not a bool")
    if isinstance(scope, int):
        return int(Scope(scope))
    name = scope if isinstance(scope, str) else getattr(scope, "name", None)
    if isinstance(name, str):
        normalized = name.strip().upper()
        if normalized.startswith("SCOPE_"):
            normalized = normalized[len("SCOPE_"):]
        if normalized in Scope.__members__:
            return int(Scope[normalized])
    raise ValueError("unknown scope {!r}: use learnerstate_client.Scope or xblock.fields.Scope".format(scope))


def key_text(key):
    """A block or course key as the service takes it: ``str(key)``."""
    if isinstance(key, bytes):
        raise TypeError("block and course keys must be str or opaque keys, not bytes")
    return str(key)


def field_names(fields):
    """None (every field) or a list of names; a bare string is refused, as it would mean its characters."""
    if fields is None:
        return None
    if isinstance(fields, (str, bytes)):
        raise TypeError("fields must be a list of field names (or None), not a single string")
    names = list(fields)
    for name in names:
        if not isinstance(name, str):
            raise TypeError("field names must be str, not {}".format(type(name).__name__))
    return names


def _set_selection(request, names):
    if names is not None:
        # Set, even when empty: an empty selection means "no field", unset means "every field".
        request.field_selection.SetInParent()
        request.field_selection.field_names.extend(names)


def unique_keys(block_keys):
    """[(key text, key as passed)] without repeats, in first-seen order."""
    if isinstance(block_keys, (str, bytes)):
        raise TypeError("block_keys must be a collection of keys, not a single key")
    seen = {}
    for key in block_keys:
        text = key_text(key)
        if text not in seen:
            seen[text] = key
    return list(seen.items())


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def get_many_requests(username, block_keys, scope, fields, max_blocks):
    """[(GetManyRequest, {key text: key as passed})], one per call of at most ``max_blocks`` keys."""
    number, names = scope_number(scope), field_names(fields)
    calls = []
    for chunk in _chunks(unique_keys(block_keys), max_blocks):
        # Each state as one JSON object text: one json.loads per block instead of one per field.
        request = user_state_service_pb2.GetManyRequest(username=username, block_keys=[text for text, _ in chunk], scope=number,
                                                        state_form=user_state_pb2.STATE_FORM_JSON_OBJECT)
        _set_selection(request, names)
        calls.append((request, dict(chunk)))
    return calls


def states_of_get_many(response, username, originals, scope):
    """The XBlockUserStates of a GetMany message, under the keys the caller passed."""
    blocks = response.block_states
    return [XBlockUserState(block.username or username, originals.get(block.block_key, block.block_key),
                            state, datetime_of(block.update_time), scope, block.etag or None)
            for block, state in zip(blocks, decode_states([block.state_json for block in blocks]))]


def _precondition(etag):
    """The StatePrecondition of an etag as callers pass it: ``""`` means "the state must not exist"."""
    if not isinstance(etag, str):
        raise TypeError("an etag must be a str (\"\" for a state that must not exist) or None, not {}".format(type(etag).__name__))
    return user_state_pb2.StatePrecondition(absent=True) if etag == "" else user_state_pb2.StatePrecondition(etag=etag)


def preconditions(etags, written):
    """{key text: StatePrecondition} of ``etags`` (block key -> etag, ``""`` or None), for keys among ``written`` (key texts).

    A None etag sets no condition. A key that the call does not write is a
    ValueError: its condition would silently do nothing.
    """
    if etags is None:
        return {}
    if isinstance(etags, (str, bytes)) or not hasattr(etags, "items"):
        raise TypeError("etags must be a dict of block key to etag")
    conditions = {}
    for key, etag in etags.items():
        text = key_text(key)
        if text not in written:
            raise ValueError("etags names {!r}, which the call does not write".format(text))
        if etag is not None:
            conditions[text] = _precondition(etag)
    return conditions


def set_many_calls(username, block_keys_to_state, scope, max_blocks, etags=None):
    """[(SetManyRequest, {key text: key as passed})], one per call of at most ``max_blocks`` updates, with their preconditions."""
    number = scope_number(scope)
    originals = [(key_text(key), key, state) for key, state in block_keys_to_state.items()]
    conditions = preconditions(etags, {text for text, _, _ in originals})
    calls = []
    for chunk in _chunks(originals, max_blocks):
        updates = [user_state_pb2.BlockUpdate(block_key=text, fields=encode_fields(state), precondition=conditions.get(text))
                   for text, _, state in chunk]
        calls.append((user_state_service_pb2.SetManyRequest(username=username, scope=number, updates=updates),
                      {text: key for text, key, _ in chunk}))
    return calls


def etags_of_set_many(response, originals):
    """{key as passed: new etag} of a SetMany answer (updates reaching one shared state report the same etag)."""
    return {originals.get(result.block_key, result.block_key): result.etag for result in response.results}


def delete_many_requests(username, block_keys, scope, fields, max_blocks, etags=None):
    """DeleteManyRequests of at most ``max_blocks`` keys each, each with the preconditions of its keys."""
    number, names = scope_number(scope), field_names(fields)
    texts = [text for text, _ in unique_keys(block_keys)]
    conditions = preconditions(etags, set(texts))
    requests = []
    for chunk in _chunks(texts, max_blocks):
        request = user_state_service_pb2.DeleteManyRequest(username=username, block_keys=chunk, scope=number,
                                                           preconditions={text: conditions[text] for text in chunk if text in conditions})
        _set_selection(request, names)
        requests.append(request)
    return requests


def single_etag(block_key, etag):
    """The ``etags`` argument of a one-block write's ``etag``: None when there is no condition."""
    return None if etag is None else {block_key: etag}


def mod_dates_request(username, block_key, scope, fields):
    request = user_state_service_pb2.GetModDatesRequest(username=username, block_keys=[key_text(block_key)], scope=scope_number(scope))
    _set_selection(request, field_names(fields))
    return request


def add_mod_dates(dates, response):
    """Adds a GetModDates message's field times to ``dates`` (field name -> datetime)."""
    for modification in response.field_modifications:
        dates[modification.field_name] = datetime_of(modification.update_time)


def history_request(username, block_key, scope):
    """A GetHistoryRequest for each snapshot as one JSON object text (one parse per entry, not one per field),
    in the largest messages the service sends (fewer of them to receive)."""
    return user_state_service_pb2.GetHistoryRequest(username=username, block_key=key_text(block_key), scope=scope_number(scope),
                                                    state_form=user_state_pb2.STATE_FORM_JSON_OBJECT, batch_size=1000)


def states_of_history(response, block_key, scope):
    """The XBlockUserStates of a GetHistory message; ``state`` is None for a deletion."""
    entries = response.entries
    states = iter(decode_states([entry.state.state_json for entry in entries if entry.HasField("state")]))
    return [XBlockUserState(entry.username, block_key, next(states) if entry.HasField("state") else None, datetime_of(entry.update_time), scope)
            for entry in entries]


def retire_learner_request(username):
    return user_state_service_pb2.RetireLearnerRequest(username=username)


def erasure_of(response):
    return LearnerErasure(response.user_states_erased, response.preferences_erased, response.user_infos_erased, response.history_entries_erased)


def iter_all_for_block_requests(block_key, scope, batch_size):
    """A function of the resume token giving the IterAllForBlockRequest that continues from it."""
    key, number = key_text(block_key), scope_number(scope)
    return lambda token: user_state_service_pb2.IterAllForBlockRequest(block_key=key, scope=number, batch_size=batch_size or 0, resume_token=token,
                                                                       state_form=user_state_pb2.STATE_FORM_JSON_OBJECT)


def iter_all_for_course_requests(course_key, block_type, scope, batch_size):
    """A function of the resume token giving the IterAllForCourseRequest that continues from it."""
    key, number = key_text(course_key), scope_number(scope)
    return lambda token: user_state_service_pb2.IterAllForCourseRequest(
        course_key=key, block_type=block_type or "", scope=number, batch_size=batch_size or 0, resume_token=token,
        state_form=user_state_pb2.STATE_FORM_JSON_OBJECT)


def states_of_iteration(response, scope):
    """The XBlockUserStates of an IterAll message, under the canonical key strings."""
    blocks = response.block_states
    return [XBlockUserState(block.username, block.block_key, state, datetime_of(block.update_time), scope, block.etag or None)
            for block, state in zip(blocks, decode_states([block.state_json for block in blocks]))]


def resumable(error, failures, max_attempts):
    """Whether an IterAll stream that failed with ``error`` after ``failures`` fruitless resumes is resumed again.

    The streams only read, so rereading from the last token is safe after
    UNAVAILABLE (the server or its database went away; grpc also reports a
    connection reset so) or ABORTED.
    """
    return error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED) and failures < max_attempts


def resume_delay(attempt, error):
    """Seconds to wait before resume ``attempt`` (1, 2, …): the server's retry hint (``error`` may be None), else exponential with jitter."""
    hint = errors.from_rpc_error(error).retry_after if error is not None else None
    if hint is not None:
        return min(hint, 5.0)
    return min(0.1 * 2 ** (attempt - 1), 2.0) * random.uniform(0.8, 1.2)

"""A client of learnerstate's UserStateService with the shape of Open edX's
``XBlockUserStateClient`` (``edx_user_state_client.interface``).

Values are Python objects (JSON values), times are timezone-aware UTC
datetimes, and failures are the exceptions of :mod:`learnerstate_client.errors`.
"""

import collections
import enum
import random
import time

import grpc

from . import errors
from ._proto import block_structure_service_pb2_grpc, user_state_pb2, user_state_service_pb2, user_state_service_pb2_grpc
from ._times import datetime_of as _datetime
from .block_structures import BlockStructureMethods
from ._values import decode_fields, encode_fields
from .catalog import CatalogClient

# Per-call maxima of the service's default configuration (MAX_READ_BLOCKS,
# MAX_WRITE_BLOCKS). The client splits larger requests into calls of this size.
DEFAULT_MAX_READ_BLOCKS = 10000
DEFAULT_MAX_WRITE_BLOCKS = 1000
# Responses may be as large as the service's MAX_MESSAGE_BYTES (16 MiB by
# default), beyond grpcio's default limit of 4 MiB.
_MAX_RECEIVE_MESSAGE_BYTES = 64 * 1024 * 1024


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


def _scope_number(scope):
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


class LearnerErasure(collections.namedtuple("LearnerErasure", ["user_states", "preferences", "user_infos", "history_entries"])):
    """What :meth:`LearnerStateClient.retire_learner` erased: numbers of
    current states of scopes user_state, preferences and user_info, and of
    history entries of all three. All 0 when there was nothing (also on a
    repeat)."""

    __slots__ = ()


class XBlockUserState(collections.namedtuple("XBlockUserState", ["username", "block_key", "state", "updated", "scope"])):
    """The state of one block for one learner, as in edx-platform.

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
    """

    __slots__ = ()


def _key_text(key):
    if isinstance(key, bytes):
        raise TypeError("block and course keys must be str or opaque keys, not bytes")
    return str(key)


def _field_names(fields):
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


def _unique_keys(block_keys):
    """[(key text, key as passed)] without repeats, in first-seen order."""
    if isinstance(block_keys, (str, bytes)):
        raise TypeError("block_keys must be a collection of keys, not a single key")
    seen = {}
    for key in block_keys:
        text = _key_text(key)
        if text not in seen:
            seen[text] = key
    return list(seen.items())


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


class LearnerStateClient(BlockStructureMethods):
    """Reads and writes learners' XBlock state in the learnerstate service,
    and calls its BlockStructureService (see :mod:`learnerstate_client.block_structures`).

    Arguments:
        target: ``"host:port"`` of the service, reached over an insecure
            (plain-text HTTP/2) channel. Ignored when ``channel`` is given.
        token: bearer token sent as ``authorization: Bearer <token>`` with
            every call, or a callable returning the current token (called
            once per call, so it can refresh), or ``None`` (development mode).
        timeout: deadline in seconds of every call except the ``iter_all_*``
            streams, or ``None`` for none. For ``get_many`` and ``get_history``
            it covers reading the whole stream.
        iter_timeout: deadline in seconds of each ``iter_all_*`` call (one per
            resume); ``None`` (default) for none, since those streams can be long.
        max_resume_attempts: how many times in a row an ``iter_all_*``
            iterator reconnects after UNAVAILABLE without receiving anything
            before it gives up with ServiceUnavailable.
        reconnect_timeout: how long, at most, each resume attempt waits for
            the channel to reconnect (after a short backoff, or the server's
            retry hint) before it calls again.
        channel: an existing ``grpc.Channel`` to use instead (for TLS, say);
            the client then does not close it.
        max_read_blocks, max_write_blocks: the service's per-call maxima;
            larger requests are split into several calls.

    The client is thread-safe and cheap to share; close it (or use it as a
    context manager) to release its channel.

    Attributes:
        catalog: the course catalog's calls (:class:`~learnerstate_client.catalog.CatalogClient`),
            with the names of ``openedx_catalog.api``, over the same channel,
            token and timeout.
    """

    DoesNotExist = errors.DoesNotExist
    PermissionDenied = errors.PermissionDenied
    ServiceUnavailable = errors.ServiceUnavailable
    InvalidArgument = errors.InvalidArgument

    def __init__(self, target=None, token=None, timeout=10.0, *, iter_timeout=None, max_resume_attempts=5,
                 reconnect_timeout=3.0, channel=None, max_read_blocks=DEFAULT_MAX_READ_BLOCKS, max_write_blocks=DEFAULT_MAX_WRITE_BLOCKS):
        if channel is None:
            if not target:
                raise ValueError("give a target such as '127.0.0.1:50051', or a channel")
            channel = grpc.insecure_channel(target, options=[("grpc.max_receive_message_length", _MAX_RECEIVE_MESSAGE_BYTES)])
            self._owns_channel = True
        else:
            self._owns_channel = False
        self._channel = channel
        self._stub = user_state_service_pb2_grpc.UserStateServiceStub(channel)
        self._block_structures = block_structure_service_pb2_grpc.BlockStructureServiceStub(channel)
        self._token = token
        self._timeout = timeout
        self._iter_timeout = iter_timeout
        self._max_resume_attempts = max_resume_attempts
        self._reconnect_timeout = reconnect_timeout
        self._max_read_blocks = max_read_blocks
        self._max_write_blocks = max_write_blocks
        self.catalog = CatalogClient(channel, self._unary)

    # -- lifecycle -----------------------------------------------------------

    def close(self):
        """Closes the channel the client opened (not one passed in)."""
        if self._owns_channel:
            self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- plumbing ------------------------------------------------------------

    def _metadata(self):
        token = self._token() if callable(self._token) else self._token
        return (("authorization", "Bearer " + token),) if token else ()

    def _unary(self, method, request):
        try:
            return method(request, timeout=self._timeout, metadata=self._metadata())
        except grpc.RpcError as error:
            raise errors.from_rpc_error(error) from None

    def _stream(self, method, request, timeout):
        """Yields the messages of a server stream, translating its errors, cancelling it if abandoned."""
        call = method(request, timeout=timeout, metadata=self._metadata())
        try:
            for response in call:
                yield response
        except grpc.RpcError as error:
            raise errors.from_rpc_error(error) from None
        finally:
            call.cancel()

    # -- XBlockUserStateClient -----------------------------------------------

    def get(self, username, block_key, scope=Scope.USER_STATE, fields=None):
        """The state of one block for one learner.

        Arguments:
            username: the learner's username.
            block_key: the block's usage key (a string or an opaque key).
            scope: the scope to read.
            fields: names of the fields to return; ``None`` for every field.

        Returns:
            :class:`XBlockUserState`. Its ``state`` holds the selected fields
            the block has: a field it lacks is simply absent, and with
            ``fields=[]`` the state is ``{}`` (which makes ``get`` an existence
            check).

        Raises:
            DoesNotExist: the block has no state (never written, or deleted).
        """
        for state in self.get_many(username, [block_key], scope, fields=fields):
            return state
        raise errors.DoesNotExist("no state for user {!r} in block {!r}".format(username, _key_text(block_key)))

    def set(self, username, block_key, state, scope=Scope.USER_STATE):
        """Overlays ``state`` (dict of field name to value) on the block's stored state.

        Fields not named keep their value (a shallow ``dict.update``); to
        remove fields use :meth:`delete`. ``{}`` creates an empty state for a
        block that had none and changes nothing else. Returns ``None``.
        """
        self.set_many(username, {block_key: state}, scope)

    def delete(self, username, block_key, scope=Scope.USER_STATE, fields=None):
        """Deletes the block's whole state (``fields=None``) or only the named fields.

        A block left with no field is deleted. Missing blocks and fields are
        ignored; ``fields=[]`` deletes nothing. Returns ``None``.
        """
        self.delete_many(username, [block_key], scope, fields=fields)

    def get_many(self, username, block_keys, scope=Scope.USER_STATE, fields=None):
        """Yields the state of each block that has state, in the order of ``block_keys``.

        Blocks with no state (never written, or deleted) are skipped without
        error, so fewer states than keys may come back. A key repeated in
        ``block_keys`` is answered once. ``fields`` selects fields as in
        :meth:`get`: a block with state but none of the selected fields is
        still yielded, with ``state == {}``.

        Returns a generator of :class:`XBlockUserState`; the calls happen as
        it is consumed, so errors surface while iterating.
        """
        scope_number = _scope_number(scope)
        names = _field_names(fields)
        keys = _unique_keys(block_keys)
        return self._get_many(username, keys, scope, scope_number, names)

    def _get_many(self, username, keys, scope, scope_number, names):
        for chunk in _chunks(keys, self._max_read_blocks):
            request = user_state_service_pb2.GetManyRequest(username=username, block_keys=[text for text, _ in chunk], scope=scope_number)
            _set_selection(request, names)
            original = dict(chunk)
            for response in self._stream(self._stub.GetMany, request, self._timeout):
                for block in response.block_states:
                    yield XBlockUserState(block.username or username, original.get(block.block_key, block.block_key),
                                          decode_fields(block.fields), _datetime(block.update_time), scope)

    def set_many(self, username, block_keys_to_state, scope=Scope.USER_STATE):
        """Overlays each state dict on its block's stored state (see :meth:`set`).

        Arguments:
            block_keys_to_state: dict of block key to state dict.

        Up to ``max_write_blocks`` blocks (1,000 by default) are written in
        one call, atomically: all or none. More blocks take several calls,
        each atomic on its own; if one fails, the blocks of earlier calls
        stay written. An empty dict does nothing. Returns ``None``.
        """
        scope_number = _scope_number(scope)
        updates = [user_state_pb2.BlockUpdate(block_key=_key_text(key), fields=encode_fields(state))
                   for key, state in block_keys_to_state.items()]
        for chunk in _chunks(updates, self._max_write_blocks):
            self._unary(self._stub.SetMany, user_state_service_pb2.SetManyRequest(username=username, scope=scope_number, updates=chunk))

    def delete_many(self, username, block_keys, scope=Scope.USER_STATE, fields=None):
        """Deletes the state of each block, or only the named fields of each (see :meth:`delete`).

        Atomic per call of up to ``max_write_blocks`` blocks. Repeating it is
        harmless. Returns ``None``.
        """
        scope_number = _scope_number(scope)
        names = _field_names(fields)
        keys = [text for text, _ in _unique_keys(block_keys)]
        for chunk in _chunks(keys, self._max_write_blocks):
            request = user_state_service_pb2.DeleteManyRequest(username=username, block_keys=chunk, scope=scope_number)
            _set_selection(request, names)
            self._unary(self._stub.DeleteMany, request)

    def get_mod_date(self, username, block_key, scope=Scope.USER_STATE, fields=None):
        """When each field of the block was last written.

        Returns:
            dict of field name to timezone-aware UTC datetime, for the fields
            the block has (restricted to ``fields`` unless it is ``None``).
            Writing one field does not move the others' times. ``{}`` when the
            block has no state or none of the selected fields.
        """
        scope_number = _scope_number(scope)
        names = _field_names(fields)
        request = user_state_service_pb2.GetModDatesRequest(username=username, block_keys=[_key_text(block_key)], scope=scope_number)
        _set_selection(request, names)
        dates = {}
        for response in self._stream(self._stub.GetModDates, request, self._timeout):
            for modification in response.field_modifications:
                dates[modification.field_name] = _datetime(modification.update_time)
        return dates

    def get_history(self, username, block_key, scope=Scope.USER_STATE):
        """Every write to one block of one learner, newest first.

        Returns an iterator of :class:`XBlockUserState`, one per write (set,
        partial delete, full delete), each holding the block's whole state
        after that write; ``state`` is ``None`` for a write that deleted the
        state, and ``{}`` for an empty state. History outlives deletion.

        Raises:
            DoesNotExist: the block never had state for this learner. Raised
                by this call itself, before iteration: the first batch is
                fetched at once.
        """
        scope_number = _scope_number(scope)
        request = user_state_service_pb2.GetHistoryRequest(username=username, block_key=_key_text(block_key), scope=scope_number)
        responses = self._stream(self._stub.GetHistory, request, self._timeout)
        first = next(responses, None)
        return self._history_entries(first, responses, block_key, scope)

    def _history_entries(self, first, rest, block_key, scope):
        if first is None:
            return
        for response in _prepend(first, rest):
            for entry in response.entries:
                state = decode_fields(entry.state.fields) if entry.HasField("state") else None
                yield XBlockUserState(entry.username, block_key, state, _datetime(entry.update_time), scope)

    def retire_learner(self, username):
        """Erases everything the service stores for ``username`` (learner retirement).

        Their state in scopes ``USER_STATE``, ``PREFERENCES`` and
        ``USER_INFO``, in every course, and the history of all of it, in one
        atomic operation; ``USER_STATE_SUMMARY`` state belongs to no learner
        and is kept. Idempotent: repeating it erases nothing. The token needs
        ``administrator: true``, or scope ``learner_state:erase`` with filter
        ``user:me`` for its own learner; the server audits every call.

        Returns:
            :class:`LearnerErasure` with what was erased.
        """
        response = self._unary(self._stub.RetireLearner, user_state_service_pb2.RetireLearnerRequest(username=username))
        return LearnerErasure(response.user_states_erased, response.preferences_erased, response.user_infos_erased, response.history_entries_erased)

    def iter_all_for_block(self, block_key, scope=Scope.USER_STATE, batch_size=None):
        """Yields every learner's current state of one block.

        Learners whose state was deleted are skipped. Order is stable: the
        order in which each learner's state was first created. ``block_key``
        of each item is the canonical key string. ``batch_size`` is the
        number of rows per message (service default 100, at most 1,000).

        If the stream breaks with UNAVAILABLE, the iterator reconnects and
        resumes after the last message it received, with no row repeated or
        lost, up to ``max_resume_attempts`` times in a row without progress;
        then it raises ServiceUnavailable. Other errors are raised at once.
        """
        scope_number = _scope_number(scope)
        key = _key_text(block_key)

        def request(token):
            return user_state_service_pb2.IterAllForBlockRequest(block_key=key, scope=scope_number, batch_size=batch_size or 0, resume_token=token)

        return self._resumable(self._stub.IterAllForBlock, request, scope)

    def iter_all_for_course(self, course_key, block_type=None, scope=Scope.USER_STATE, batch_size=None):
        """Yields every learner's current state of every block in a course.

        Arguments:
            course_key: the course (or library, ccx) key, as a string or key.
            block_type: only blocks of this type (for example ``"problem"``);
                ``None`` for all.

        Ordering, deletion and resumption are as for :meth:`iter_all_for_block`.
        """
        scope_number = _scope_number(scope)
        key = _key_text(course_key)

        def request(token):
            return user_state_service_pb2.IterAllForCourseRequest(
                course_key=key, block_type=block_type or "", scope=scope_number, batch_size=batch_size or 0, resume_token=token)

        return self._resumable(self._stub.IterAllForCourse, request, scope)

    def _resumable(self, method, make_request, scope):
        token = ""
        failures = 0
        while True:
            call = method(make_request(token), timeout=self._iter_timeout, metadata=self._metadata())
            try:
                for response in call:
                    for block in response.block_states:
                        yield XBlockUserState(block.username, block.block_key, decode_fields(block.fields), _datetime(block.update_time), scope)
                    token = response.resume_token
                    failures = 0
                return
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE or failures >= self._max_resume_attempts:
                    raise errors.from_rpc_error(error) from None
                failures += 1
                self._wait_before_resume(failures, error)
            finally:
                call.cancel()

    def _wait_before_resume(self, attempt, error):
        """Backs off, then gives the channel up to reconnect_timeout to reconnect.

        After a failed connection attempt grpc keeps the channel in
        TRANSIENT_FAILURE for its own reconnect backoff (1 s and growing), and
        calls made meanwhile fail at once; waiting for READY makes each resume
        attempt a real one.
        """
        hint = errors.from_rpc_error(error).retry_after
        if hint is not None:
            time.sleep(min(hint, 5.0))
        else:
            time.sleep(min(0.1 * 2 ** (attempt - 1), 2.0) * random.uniform(0.8, 1.2))
        if self._reconnect_timeout:
            ready = grpc.channel_ready_future(self._channel)
            try:
                ready.result(timeout=self._reconnect_timeout)
            except grpc.FutureTimeoutError:
                ready.cancel()


def _prepend(first, rest):
    yield first
    yield from rest

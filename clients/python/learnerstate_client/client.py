"""A client of learnerstate's UserStateService with the shape of Open edX's
``XBlockUserStateClient`` (``edx_user_state_client.interface``).

Values are Python objects (JSON values), times are timezone-aware UTC
datetimes, and failures are the exceptions of :mod:`learnerstate_client.errors`.
"""

import datetime
import time
from typing import Callable, Dict, Iterable, Iterator, Mapping, Optional, Union

import grpc
import grpc.experimental

from . import _user_state_calls as calls
from . import changes as feed
from . import errors
from ._plans import perform_blocking
from ._connection import Connection
from ._user_state_calls import DEFAULT_MAX_READ_BLOCKS, DEFAULT_MAX_WRITE_BLOCKS, LearnerErasure, Scope, XBlockUserState
from .block_structures import BlockStructureMethods
from .changes import ChangeBatch

__all__ = ["LearnerErasure", "LearnerStateClient", "Scope", "XBlockUserState"]


class LearnerStateClient(Connection, BlockStructureMethods):
    """Reads and writes learners' XBlock state in the learnerstate service,
    and calls its BlockStructureService (see :mod:`learnerstate_client.block_structures`).

    Arguments:
        target: ``"host:port"`` of the service, reached over plain-text
            HTTP/2, or over TLS with ``credentials``. Ignored when ``channel``
            is given.
        credentials: ``grpc.ChannelCredentials`` for a server with TLS on its
            port, such as :func:`~learnerstate_client.tls_credentials`\ (CA
            file, optional client certificate and key); ``None``: plain text.
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
    StateChanged = errors.StateChanged
    ChangeFeedLost = errors.ChangeFeedLost

    def __init__(self, target: Optional[str] = None, token: Union[str, Callable[[], Optional[str]], None] = None, timeout: Optional[float] = 10.0,
                 *, iter_timeout: Optional[float] = None, max_resume_attempts: int = 5, reconnect_timeout: float = 3.0,
                 channel: Optional[grpc.Channel] = None, max_read_blocks: int = DEFAULT_MAX_READ_BLOCKS,
                 max_write_blocks: int = DEFAULT_MAX_WRITE_BLOCKS, credentials: Optional[grpc.ChannelCredentials] = None) -> None:
        # Streaming reads (GetMany, IterAll) on the calling thread: grpc
        # otherwise starts a thread per streaming call, a fifth of the CPU
        # of a get_many of 100 blocks.
        self._connect(grpc, target, channel, token, timeout, iter_timeout, max_resume_attempts, reconnect_timeout,
                      max_read_blocks, max_write_blocks, [(grpc.experimental.ChannelOptions.SingleThreadedUnaryStream, 1)], credentials)

    # -- lifecycle -----------------------------------------------------------

    def close(self) -> None:
        """Closes the channel the client opened (not one passed in)."""
        if self._owns_channel:
            self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- plumbing ------------------------------------------------------------

    def _unary(self, method, request):
        try:
            return method(request, timeout=self._timeout, metadata=self._metadata())
        except grpc.RpcError as error:
            raise errors.from_rpc_error(error) from None

    def _perform(self, plan):
        """Performs a catalog or block-structure method's plan (see _plans)."""
        return perform_blocking(plan, self._stubs.__getitem__, self._unary, lambda method, request: self._stream(method, request, self._timeout))

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

    def get(self, username: str, block_key: object, scope: object = Scope.USER_STATE, fields: Optional[Iterable[str]] = None) -> XBlockUserState:
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
            check). Its ``etag`` names the version read (of the whole state,
            whatever ``fields`` selected).

        Raises:
            DoesNotExist: the block has no state (never written, or deleted).
        """
        for state in self.get_many(username, [block_key], scope, fields=fields):
            return state
        raise errors.DoesNotExist("no state for user {!r} in block {!r}".format(username, calls.key_text(block_key)))

    def set(self, username: str, block_key: object, state: Mapping[str, object], scope: object = Scope.USER_STATE, *,
            etag: Optional[str] = None) -> None:
        """Overlays ``state`` (dict of field name to value) on the block's stored state.

        Fields not named keep their value (a shallow ``dict.update``); to
        remove fields use :meth:`delete`. ``{}`` creates an empty state for a
        block that had none and changes nothing else. Returns ``None``
        (:meth:`set_with_etag` returns the new etag).

        Arguments:
            etag: write only if the stored state is still the version this
                etag names (an ``XBlockUserState.etag``, a
                ``StateChanged.current_etags`` value, or what
                :meth:`set_with_etag` returned): not written, deleted or
                recreated since. ``""``: only if the block has no state.
                ``None`` (default): no condition.

        Raises:
            StateChanged: the condition did not hold; nothing was written.
                Its ``current_etags`` has the state's etag now (``""`` when it
                does not exist).
        """
        self.set_many(username, {block_key: state}, scope, etags=calls.single_etag(block_key, etag))

    def set_with_etag(self, username: str, block_key: object, state: Mapping[str, object], scope: object = Scope.USER_STATE, *,
                      etag: Optional[str] = None) -> str:
        """:meth:`set`, returning the state's new etag, for the next conditional write without reading again."""
        return next(iter(self.set_many_with_etags(username, {block_key: state}, scope, etags=calls.single_etag(block_key, etag)).values()))

    def delete(self, username: str, block_key: object, scope: object = Scope.USER_STATE, fields: Optional[Iterable[str]] = None, *,
               etag: Optional[str] = None) -> None:
        """Deletes the block's whole state (``fields=None``) or only the named fields.

        A block left with no field is deleted. Missing blocks and fields are
        ignored; ``fields=[]`` deletes nothing. ``etag`` is a condition as in
        :meth:`set` (raising ``StateChanged``, deleting nothing). Returns
        ``None``.
        """
        self.delete_many(username, [block_key], scope, fields=fields, etags=calls.single_etag(block_key, etag))

    def get_many(self, username: str, block_keys: Iterable[object], scope: object = Scope.USER_STATE,
                 fields: Optional[Iterable[str]] = None) -> Iterator[XBlockUserState]:
        """Yields the state of each block that has state, in the order of ``block_keys``.

        Blocks with no state (never written, or deleted) are skipped without
        error, so fewer states than keys may come back. A key repeated in
        ``block_keys`` is answered once. ``fields`` selects fields as in
        :meth:`get`: a block with state but none of the selected fields is
        still yielded, with ``state == {}``.

        Returns a generator of :class:`XBlockUserState`; the calls happen as
        it is consumed, so errors surface while iterating.
        """
        return self._get_many(username, calls.get_many_requests(username, block_keys, scope, fields, self._max_read_blocks), scope)

    def _get_many(self, username, requests, scope):
        for request, originals in requests:
            for response in self._stream(self._stub.GetMany, request, self._timeout):
                yield from calls.states_of_get_many(response, username, originals, scope)

    def set_many(self, username: str, block_keys_to_state: Mapping[object, Mapping[str, object]], scope: object = Scope.USER_STATE, *,
                 etags: Optional[Mapping[object, Optional[str]]] = None) -> None:
        """Overlays each state dict on its block's stored state (see :meth:`set`).

        Arguments:
            block_keys_to_state: dict of block key to state dict.
            etags: dict of block key to the condition of its write, as
                ``etag`` in :meth:`set` (an etag; ``""``: the block must have
                no state; ``None``: no condition). Blocks not in it have no
                condition; a key that is not written is a ``ValueError``.

        Up to ``max_write_blocks`` blocks (1,000 by default) are written in
        one call, atomically: all or none. More blocks take several calls,
        each atomic on its own; if one fails, the blocks of earlier calls
        stay written. An empty dict does nothing. Returns ``None``
        (:meth:`set_many_with_etags` returns the new etags).

        Raises:
            StateChanged: a condition of a call did not hold: nothing of that
                call was written (earlier calls stay written); its
                ``current_etags`` has every failed block's etag now.
        """
        self.set_many_with_etags(username, block_keys_to_state, scope, etags=etags)

    def set_many_with_etags(self, username: str, block_keys_to_state: Mapping[object, Mapping[str, object]], scope: object = Scope.USER_STATE, *,
                            etags: Optional[Mapping[object, Optional[str]]] = None) -> Dict[object, str]:
        """:meth:`set_many`, returning dict of block key (as passed) to the state's new etag.

        Keys that reach one stored state (every key of a block type in
        ``PREFERENCES``, every key in ``USER_INFO``) get the same etag.
        """
        new_etags: Dict[object, str] = {}
        for request, originals in calls.set_many_calls(username, block_keys_to_state, scope, self._max_write_blocks, etags):
            new_etags.update(calls.etags_of_set_many(self._unary(self._stub.SetMany, request), originals))
        return new_etags

    def delete_many(self, username: str, block_keys: Iterable[object], scope: object = Scope.USER_STATE,
                    fields: Optional[Iterable[str]] = None, *, etags: Optional[Mapping[object, Optional[str]]] = None) -> None:
        """Deletes the state of each block, or only the named fields of each (see :meth:`delete`).

        Atomic per call of up to ``max_write_blocks`` blocks. Repeating it is
        harmless. ``etags`` are conditions as in :meth:`set_many` (keys must
        be among ``block_keys``): if one fails, ``StateChanged`` is raised and
        nothing of that call is deleted. Returns ``None``.
        """
        for request in calls.delete_many_requests(username, block_keys, scope, fields, self._max_write_blocks, etags):
            self._unary(self._stub.DeleteMany, request)

    def get_mod_date(self, username: str, block_key: object, scope: object = Scope.USER_STATE,
                     fields: Optional[Iterable[str]] = None) -> Dict[str, datetime.datetime]:
        """When each field of the block was last written.

        Returns:
            dict of field name to timezone-aware UTC datetime, for the fields
            the block has (restricted to ``fields`` unless it is ``None``).
            Writing one field does not move the others' times. ``{}`` when the
            block has no state or none of the selected fields.
        """
        dates = {}
        for response in self._stream(self._stub.GetModDates, calls.mod_dates_request(username, block_key, scope, fields), self._timeout):
            calls.add_mod_dates(dates, response)
        return dates

    def get_history(self, username: str, block_key: object, scope: object = Scope.USER_STATE) -> Iterator[XBlockUserState]:
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
        responses = self._stream(self._stub.GetHistory, calls.history_request(username, block_key, scope), self._timeout)
        first = next(responses, None)
        return self._history_entries(first, responses, block_key, scope)

    def _history_entries(self, first, rest, block_key, scope):
        if first is None:
            return
        yield from calls.states_of_history(first, block_key, scope)
        for response in rest:
            yield from calls.states_of_history(response, block_key, scope)

    def retire_learner(self, username: str) -> LearnerErasure:
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
        return calls.erasure_of(self._unary(self._stub.RetireLearner, calls.retire_learner_request(username)))

    def iter_all_for_block(self, block_key: object, scope: object = Scope.USER_STATE, batch_size: Optional[int] = None) -> Iterator[XBlockUserState]:
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
        return self._resumable(self._stub.IterAllForBlock, calls.iter_all_for_block_requests(block_key, scope, batch_size), scope)

    def iter_all_for_course(self, course_key: object, block_type: Optional[str] = None, scope: object = Scope.USER_STATE,
                            batch_size: Optional[int] = None) -> Iterator[XBlockUserState]:
        """Yields every learner's current state of every block in a course.

        Arguments:
            course_key: the course (or library, ccx) key, as a string or key.
            block_type: only blocks of this type (for example ``"problem"``);
                ``None`` for all.

        Ordering, deletion and resumption are as for :meth:`iter_all_for_block`.
        """
        return self._resumable(self._stub.IterAllForCourse, calls.iter_all_for_course_requests(course_key, block_type, scope, batch_size), scope)

    def watch_changes(self, course_key: object = "", block_types: Iterable[str] = (), scopes: Iterable[object] = (), username: str = "",
                      resume_token: str = "", *, max_resume_attempts: Optional[int] = None) -> Iterator[ChangeBatch]:
        """Yields every change committed to stored state after a point, as it commits, without end.

        Arguments:
            course_key: the course whose changes to watch; ``""``: every
                course, and preferences and user info (administrators only).
            block_types: only changes of blocks of these types; empty: all.
            scopes: only changes in these scopes (``Scope`` values, xblock
                scopes or names); empty: all.
            username: only this learner's changes (then summaries, which no
                learner owns, are left out); ``""``: every learner's.
            resume_token: a ``resume_token`` of an earlier batch of a watch
                with the same filters, to continue right after it; ``""``:
                start now, with the changes committed after the call.
            max_resume_attempts: resumes in a row without receiving anything
                before giving up; ``None``: the client's ``max_resume_attempts``.

        Yields :class:`~learnerstate_client.changes.ChangeBatch` tuples
        ``(changes, resume_token)``: from now, first one with no changes whose
        token names the starting point; then the changes in commit order (exactly,
        per stored state), and batches with no changes and a newer token at
        least every 10 s while nothing changes. A consumer that checkpoints
        stores each batch's token once it has handled the batch (also of
        empty ones, so that its position stays within the feed's retention),
        and after a restart passes the stored token: it then sees every later
        change once and none of the stored batch again.

        The calls happen as the iterator is consumed; a slow consumer is
        never dropped (the stream waits). When the stream breaks with
        UNAVAILABLE (a server restart or shutdown, a database failover, a
        reset connection, or a connection that stopped answering the
        channel's keepalive pings) or ABORTED, or ends (which the service
        never does by itself), the iterator resumes from the last token it
        received, with back-off (or the server's retry hint), without
        repeating or skipping a change; a batch with no changes that only
        repeats the token it resumed from is not yielded. The calls have no
        deadline (``iter_timeout`` does not apply). Closing the iterator
        (``break``, ``close()``) cancels the call.

        Raises (while iterating):
            ChangeFeedExpired, ChangeFeedPositionUnknown (both
                ``ChangeFeedLost``, OUT_OF_RANGE): the token can no longer be
                honoured; read the state again (``iter_all_for_course``) and
                watch from now. ``error.resume_token`` is that token.
            InvalidArgument: a malformed key, type, scope, username, or a
                token of another watch or altered.
            PermissionDenied: the token may not watch this (``learner_state:bulk_read``
                with a filter covering the course, or ``user:me`` and
                ``username``; every course: administrators).
            ServiceUnavailable: ``max_resume_attempts`` resumes in a row
                failed without a message.
        """
        request_from = feed.watch_requests(course_key, block_types, scopes, username)
        attempts = self._max_resume_attempts if max_resume_attempts is None else max_resume_attempts
        return self._watch(request_from, resume_token or "", attempts)

    def _watch(self, request_from, token, max_attempts):
        position = feed.Position(token)
        failures = 0
        while True:
            call = self._stub.WatchChanges(request_from(position.token), metadata=self._metadata())
            error = None
            try:
                for response in call:
                    failures = 0
                    batch = feed.batch_of(response)
                    if position.advance(batch):
                        yield batch
            except grpc.RpcError as rpc_error:
                if not calls.resumable(rpc_error, failures, max_attempts):
                    raise feed.lost(errors.from_rpc_error(rpc_error), position.token) from None
                error = rpc_error
            finally:
                call.cancel()
            if error is None and failures >= max_attempts:
                raise feed.ended()
            failures += 1
            self._wait_before_resume(failures, error)

    def _resumable(self, method, request_from, scope):
        token = ""
        failures = 0
        while True:
            call = method(request_from(token), timeout=self._iter_timeout, metadata=self._metadata())
            try:
                for response in call:
                    yield from calls.states_of_iteration(response, scope)
                    token = response.resume_token
                    failures = 0
                return
            except grpc.RpcError as error:
                if not calls.resumable(error, failures, self._max_resume_attempts):
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
        time.sleep(calls.resume_delay(attempt, error))
        if self._reconnect_timeout:
            ready = grpc.channel_ready_future(self._channel)
            try:
                ready.result(timeout=self._reconnect_timeout)
            except grpc.FutureTimeoutError:
                ready.cancel()

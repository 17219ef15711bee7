"""The asyncio client (``grpc.aio``): the methods of
:class:`learnerstate_client.LearnerStateClient`, its ``catalog`` and its
block-structure calls, as coroutines and async iterators::

    from learnerstate_client.aio import AsyncLearnerStateClient

    async with AsyncLearnerStateClient("127.0.0.1:50051", token=jwt) as client:
        await client.set("alice", key, {"attempts": 1})
        state = await client.get("alice", key)
        async for row in client.iter_all_for_course("course-v1:edX+DemoX+2026"):
            ...

What each method returns for missing, deleted and partial data is as for
the blocking client, whose docstrings say it; requests and answers are built
by the same code (:mod:`learnerstate_client._user_state_calls`, and the plans
of :mod:`learnerstate_client.catalog` and
:mod:`learnerstate_client.block_structures`).
"""

import asyncio
from typing import AsyncIterator, Callable, Dict, Iterable, List, Mapping, Optional, Union

import grpc
import grpc.aio

from . import _user_state_calls as calls
from . import changes as feed
from . import errors
from ._plans import perform_asyncio
from ._connection import Connection
from .block_structures import BlockStructureMethods
from ._user_state_calls import DEFAULT_MAX_READ_BLOCKS, DEFAULT_MAX_WRITE_BLOCKS, LearnerErasure, Scope, XBlockUserState
from .changes import ChangeBatch

__all__ = ["AsyncLearnerStateClient"]

Token = Union[str, Callable[[], Optional[str]], None]
"""A bearer token, a callable returning the current one (called per call), or None."""


class AsyncLearnerStateClient(Connection, BlockStructureMethods):
    """Reads and writes learners' XBlock state from asyncio code.

    Arguments are those of :class:`learnerstate_client.LearnerStateClient`
    (``channel`` is a ``grpc.aio.Channel`` here). Create it inside the event
    loop that uses it; close it with ``await client.close()`` or
    ``async with``. ``catalog`` and the block-structure methods are there too:
    ``await client.catalog.get_course_run(key)``,
    ``async for course in client.catalog.list_catalog_courses()``,
    ``await client.get_transformed(course_key, username=…)``.
    """

    DoesNotExist = errors.DoesNotExist
    PermissionDenied = errors.PermissionDenied
    ServiceUnavailable = errors.ServiceUnavailable
    InvalidArgument = errors.InvalidArgument
    StateChanged = errors.StateChanged
    ChangeFeedLost = errors.ChangeFeedLost

    def __init__(self, target: Optional[str] = None, token: Token = None, timeout: Optional[float] = 10.0, *,
                 iter_timeout: Optional[float] = None, max_resume_attempts: int = 5, reconnect_timeout: float = 3.0,
                 channel: Optional[grpc.aio.Channel] = None, max_read_blocks: int = DEFAULT_MAX_READ_BLOCKS,
                 max_write_blocks: int = DEFAULT_MAX_WRITE_BLOCKS, credentials: Optional[grpc.ChannelCredentials] = None) -> None:
        self._connect(grpc.aio, target, channel, token, timeout, iter_timeout, max_resume_attempts, reconnect_timeout,
                      max_read_blocks, max_write_blocks, credentials=credentials)

    async def close(self) -> None:
        """Closes the channel the client opened (not one passed in)."""
        if self._owns_channel:
            await self._channel.close()

    async def __aenter__(self) -> "AsyncLearnerStateClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _unary(self, method, request):
        try:
            return await method(request, timeout=self._timeout, metadata=self._metadata())
        except grpc.aio.AioRpcError as error:
            raise errors.from_rpc_error(error) from None

    def _perform(self, plan):
        """Performs a catalog or block-structure method's plan (see _plans)."""
        return perform_asyncio(plan, self._stubs.__getitem__, self._unary, lambda method, request: self._stream(method, request, self._timeout))

    async def _stream(self, method, request, timeout):
        call = method(request, timeout=timeout, metadata=self._metadata())
        try:
            async for response in call:
                yield response
        except grpc.aio.AioRpcError as error:
            raise errors.from_rpc_error(error) from None
        finally:
            call.cancel()

    async def get(self, username: str, block_key: object, scope: object = Scope.USER_STATE,
                  fields: Optional[Iterable[str]] = None) -> XBlockUserState:
        """The block's state, with its ``etag``; raises DoesNotExist when it has none."""
        async for state in self.get_many(username, [block_key], scope, fields=fields):
            return state
        raise errors.DoesNotExist("no state for user {!r} in block {!r}".format(username, calls.key_text(block_key)))

    async def set(self, username: str, block_key: object, state: Mapping[str, object], scope: object = Scope.USER_STATE, *,
                  etag: Optional[str] = None) -> None:
        """Overlays ``state`` on the block's stored state; with ``etag`` only if the state is still that version
        (``""``: only if it has none), else StateChanged and nothing written."""
        await self.set_many(username, {block_key: state}, scope, etags=calls.single_etag(block_key, etag))

    async def set_with_etag(self, username: str, block_key: object, state: Mapping[str, object], scope: object = Scope.USER_STATE, *,
                            etag: Optional[str] = None) -> str:
        """:meth:`set`, returning the state's new etag."""
        written = await self.set_many_with_etags(username, {block_key: state}, scope, etags=calls.single_etag(block_key, etag))
        return next(iter(written.values()))

    async def delete(self, username: str, block_key: object, scope: object = Scope.USER_STATE,
                     fields: Optional[Iterable[str]] = None, *, etag: Optional[str] = None) -> None:
        """Deletes the block's state, or only ``fields``; ``etag`` is a condition as in :meth:`set`."""
        await self.delete_many(username, [block_key], scope, fields=fields, etags=calls.single_etag(block_key, etag))

    async def get_many(self, username: str, block_keys: Iterable[object], scope: object = Scope.USER_STATE,
                       fields: Optional[Iterable[str]] = None) -> AsyncIterator[XBlockUserState]:
        """Yields the state of each block that has state, in the order of ``block_keys``."""
        for request, originals in calls.get_many_requests(username, block_keys, scope, fields, self._max_read_blocks):
            async for response in self._stream(self._stub.GetMany, request, self._timeout):
                for state in calls.states_of_get_many(response, username, originals, scope):
                    yield state

    async def set_many(self, username: str, block_keys_to_state: Mapping[object, Mapping[str, object]], scope: object = Scope.USER_STATE, *,
                       etags: Optional[Mapping[object, Optional[str]]] = None) -> None:
        """Overlays each state dict on its block's stored state, atomically per call, under the conditions of ``etags``."""
        await self.set_many_with_etags(username, block_keys_to_state, scope, etags=etags)

    async def set_many_with_etags(self, username: str, block_keys_to_state: Mapping[object, Mapping[str, object]],
                                  scope: object = Scope.USER_STATE, *, etags: Optional[Mapping[object, Optional[str]]] = None) -> Dict[object, str]:
        """:meth:`set_many`, returning dict of block key (as passed) to the state's new etag."""
        new_etags: Dict[object, str] = {}
        for request, originals in calls.set_many_calls(username, block_keys_to_state, scope, self._max_write_blocks, etags):
            new_etags.update(calls.etags_of_set_many(await self._unary(self._stub.SetMany, request), originals))
        return new_etags

    async def delete_many(self, username: str, block_keys: Iterable[object], scope: object = Scope.USER_STATE,
                          fields: Optional[Iterable[str]] = None, *, etags: Optional[Mapping[object, Optional[str]]] = None) -> None:
        """Deletes each block's state, or only ``fields`` of each, atomically per call, under the conditions of ``etags``."""
        for request in calls.delete_many_requests(username, block_keys, scope, fields, self._max_write_blocks, etags):
            await self._unary(self._stub.DeleteMany, request)

    async def get_mod_date(self, username: str, block_key: object, scope: object = Scope.USER_STATE,
                           fields: Optional[Iterable[str]] = None) -> Dict[str, object]:
        """Field name -> when it was last written; ``{}`` when the block has no state."""
        dates: Dict[str, object] = {}
        async for response in self._stream(self._stub.GetModDates, calls.mod_dates_request(username, block_key, scope, fields), self._timeout):
            calls.add_mod_dates(dates, response)
        return dates

    async def get_history(self, username: str, block_key: object, scope: object = Scope.USER_STATE) -> List[XBlockUserState]:
        """Every write to the block, newest first (``state`` None for a deletion), as a list.

        Raises DoesNotExist when the block never had state.
        """
        entries: List[XBlockUserState] = []
        async for response in self._stream(self._stub.GetHistory, calls.history_request(username, block_key, scope), self._timeout):
            entries.extend(calls.states_of_history(response, block_key, scope))
        return entries

    async def retire_learner(self, username: str) -> LearnerErasure:
        """Erases everything stored for ``username`` (see LearnerStateClient.retire_learner)."""
        return calls.erasure_of(await self._unary(self._stub.RetireLearner, calls.retire_learner_request(username)))

    def iter_all_for_block(self, block_key: object, scope: object = Scope.USER_STATE,
                           batch_size: Optional[int] = None) -> AsyncIterator[XBlockUserState]:
        """Every learner's current state of the block, resuming by itself after UNAVAILABLE."""
        return self._resumable(self._stub.IterAllForBlock, calls.iter_all_for_block_requests(block_key, scope, batch_size), scope)

    def iter_all_for_course(self, course_key: object, block_type: Optional[str] = None, scope: object = Scope.USER_STATE,
                            batch_size: Optional[int] = None) -> AsyncIterator[XBlockUserState]:
        """Every learner's current state of every block of the course, resuming by itself after UNAVAILABLE."""
        return self._resumable(self._stub.IterAllForCourse, calls.iter_all_for_course_requests(course_key, block_type, scope, batch_size), scope)

    def watch_changes(self, course_key: object = "", block_types: Iterable[str] = (), scopes: Iterable[object] = (), username: str = "",
                      resume_token: str = "", *, max_resume_attempts: Optional[int] = None) -> AsyncIterator[ChangeBatch]:
        """Every change committed after a point, as ``ChangeBatch(changes, resume_token)`` tuples, without end,
        resuming by itself after UNAVAILABLE (see LearnerStateClient.watch_changes)."""
        request_from = feed.watch_requests(course_key, block_types, scopes, username)
        attempts = self._max_resume_attempts if max_resume_attempts is None else max_resume_attempts
        return self._watch(request_from, resume_token or "", attempts)

    async def _watch(self, request_from, token, max_attempts):
        position = feed.Position(token)
        failures = 0
        while True:
            call = self._stub.WatchChanges(request_from(position.token), metadata=self._metadata())
            error = None
            try:
                async for response in call:
                    failures = 0
                    batch = feed.batch_of(response)
                    if position.advance(batch):
                        yield batch
            except grpc.aio.AioRpcError as rpc_error:
                if not calls.resumable(rpc_error, failures, max_attempts):
                    raise feed.lost(errors.from_rpc_error(rpc_error), position.token) from None
                error = rpc_error
            finally:
                call.cancel()
            if error is None and failures >= max_attempts:
                raise feed.ended()
            failures += 1
            await asyncio.sleep(calls.resume_delay(failures, error))
            await self._reconnected()

    async def _resumable(self, method, request_from, scope):
        token = ""
        failures = 0
        while True:
            call = method(request_from(token), timeout=self._iter_timeout, metadata=self._metadata())
            try:
                async for response in call:
                    for state in calls.states_of_iteration(response, scope):
                        yield state
                    token = response.resume_token
                    failures = 0
                return
            except grpc.aio.AioRpcError as error:
                if not calls.resumable(error, failures, self._max_resume_attempts):
                    raise errors.from_rpc_error(error) from None
                failures += 1
                await asyncio.sleep(calls.resume_delay(failures, error))
                await self._reconnected()
            finally:
                call.cancel()

    async def _reconnected(self):
        """Gives the channel up to reconnect_timeout to be READY, so that a resume attempt is a real one."""
        if not self._reconnect_timeout:
            return
        try:
            await asyncio.wait_for(self._channel.channel_ready(), self._reconnect_timeout)
        except asyncio.TimeoutError:
            pass

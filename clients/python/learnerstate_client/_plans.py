"""Calls described as data, so that one description of each catalog and
block-structure method serves the blocking client and the asyncio one.

A method builds a plan (which RPC, which request, how to turn the answer
into what it returns); the client it belongs to performs it, blocking or on
``grpc.aio``. Errors are translated by the clients' own ``unary`` and
``stream`` functions, before a plan sees an answer.
"""

import functools
from typing import Any, Callable, Iterable, List, NamedTuple, Optional


class Unary(NamedTuple):
    """One unary call; ``answer(response)`` is what the method returns."""

    service: str
    method: str
    request: Any
    answer: Callable[[Any], Any]


class Gathered(NamedTuple):
    """One server-streaming call read to its end; ``answer(responses)`` is what the method returns."""

    service: str
    method: str
    request: Any
    answer: Callable[[List[Any]], Any]


class Paged(NamedTuple):
    """Unary calls page after page (``request_for(page_token)``, until an empty
    ``next_page_token``); the method returns an iterator of ``items(response)``."""

    service: str
    method: str
    request_for: Callable[[str], Any]
    items: Callable[[Any], Iterable[Any]]


class Continued(NamedTuple):
    """A unary call, then the pages ``then(response)`` names (or none);
    ``answer(response, items)`` is what the method returns."""

    first: Unary
    then: Callable[[Any], Optional[Paged]]
    answer: Callable[[Any, List[Any]], Any]


def method_of(plan):
    """A client method performing ``plan(*arguments)`` with the client's ``_perform``."""

    @functools.wraps(plan)
    def method(self, *args, **kwargs):
        return self._perform(plan(*args, **kwargs))

    return method


def perform_blocking(plan, stub_of, unary, stream):
    """Performs ``plan`` with blocking calls: returns the answer, or an iterator for Paged."""
    if isinstance(plan, Paged):
        return _pages_blocking(plan, stub_of, unary)
    if isinstance(plan, Continued):
        response = unary(getattr(stub_of(plan.first.service), plan.first.method), plan.first.request)
        rest = plan.then(response)
        return plan.answer(response, [] if rest is None else list(_pages_blocking(rest, stub_of, unary)))
    method = getattr(stub_of(plan.service), plan.method)
    if isinstance(plan, Unary):
        return plan.answer(unary(method, plan.request))
    return plan.answer(list(stream(method, plan.request)))


def _pages_blocking(plan, stub_of, unary):
    method = getattr(stub_of(plan.service), plan.method)
    token = ""
    while True:
        response = unary(method, plan.request_for(token))
        yield from plan.items(response)
        token = response.next_page_token
        if not token:
            return


def perform_asyncio(plan, stub_of, unary, stream):
    """Performs ``plan`` on grpc.aio: a coroutine of the answer, or an async iterator for Paged."""
    if isinstance(plan, Paged):
        return _pages_asyncio(plan, stub_of, unary)
    return _answer_asyncio(plan, stub_of, unary, stream)


async def _answer_asyncio(plan, stub_of, unary, stream):
    if isinstance(plan, Continued):
        response = await unary(getattr(stub_of(plan.first.service), plan.first.method), plan.first.request)
        rest = plan.then(response)
        return plan.answer(response, [] if rest is None else [item async for item in _pages_asyncio(rest, stub_of, unary)])
    method = getattr(stub_of(plan.service), plan.method)
    if isinstance(plan, Unary):
        return plan.answer(await unary(method, plan.request))
    return plan.answer([response async for response in stream(method, plan.request)])


async def _pages_asyncio(plan, stub_of, unary):
    method = getattr(stub_of(plan.service), plan.method)
    token = ""
    while True:
        response = await unary(method, plan.request_for(token))
        for item in plan.items(response):
            yield item
        token = response.next_page_token
        if not token:
            return

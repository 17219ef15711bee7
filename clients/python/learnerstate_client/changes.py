"""The change feed (``UserStateService.WatchChanges``): what ``watch_changes``
of both clients yields, and the requests and answers they share.

A consumer such as a grade pipeline watches a course, handles each batch of
changes, then stores the batch's ``resume_token``; after a restart it
watches again with the stored token and continues right after that batch::

    for batch in client.watch_changes(course_key, block_types=["problem"], resume_token=load_token()):
        for change in batch.changes:
            regrade(change.username, change.block_key)
        save_token(batch.resume_token)
"""

import dataclasses
import datetime
import enum
from typing import NamedTuple, Optional, Tuple, Union

from . import errors
from ._proto import user_state_pb2, user_state_service_pb2
from ._times import datetime_of
from ._user_state_calls import Scope, key_text, scope_number

__all__ = ["ChangeBatch", "ChangeKind", "StateChange"]

class ChangeKind(str, enum.Enum):
    """What a change did to a stored state (``learnerstate.v1.ChangeKind``).

    A ``str`` enum: ``change.kind == "fields_written"`` holds too.
    """

    FIELDS_WRITTEN = "fields_written"
    """``set``/``set_many`` wrote ``field_names`` (all the fields of its
    update, also those written with their old value); the state was created
    if it did not exist."""
    FIELDS_DELETED = "fields_deleted"
    """``delete``/``delete_many`` removed ``field_names`` (those the state
    had); the state still has other fields."""
    STATE_DELETED = "state_deleted"
    """The state no longer exists: deleted whole (``field_names`` empty), or
    its last fields were deleted (``field_names`` lists them)."""
    LEARNER_RETIRED = "learner_retired"
    """``retire_learner`` erased everything of ``username`` in
    ``course_key`` (every scope, with its history); ``block_key``,
    ``block_type`` are ``""`` and ``scope`` is None. One per course the
    learner had state in, and one with ``course_key == ""`` for their
    preferences and user info."""
    UNKNOWN = "unknown"
    """A kind this version of the client does not know (a newer server):
    read the state again."""


_KIND_OF_NUMBER = {
    user_state_pb2.CHANGE_KIND_FIELDS_WRITTEN: ChangeKind.FIELDS_WRITTEN,
    user_state_pb2.CHANGE_KIND_FIELDS_DELETED: ChangeKind.FIELDS_DELETED,
    user_state_pb2.CHANGE_KIND_STATE_DELETED: ChangeKind.STATE_DELETED,
    user_state_pb2.CHANGE_KIND_LEARNER_RETIRED: ChangeKind.LEARNER_RETIRED,
}


@dataclasses.dataclass(frozen=True)
class StateChange:
    """One committed change to one stored state.

    Attributes:
        username: whose state changed; ``""`` for ``USER_STATE_SUMMARY``
            state, which belongs to no learner.
        block_key: the block's canonical usage key; ``""`` for
            ``PREFERENCES`` (stored per block type: see ``block_type``),
            ``USER_INFO`` and learner retirement.
        block_type: the block's type (for ``PREFERENCES``, the type whose
            preferences changed); ``""`` for ``USER_INFO`` and learner
            retirement.
        scope: the :class:`~learnerstate_client.Scope` of the state; None for
            learner retirement, which erases every scope (and the enum number,
            an int, for a scope this client version does not know).
        course_key: the course (learning context) the state is filed under,
            canonical; ``""`` for ``PREFERENCES`` and ``USER_INFO``, which
            belong to no course, and for the retirement of those.
        kind: what happened, a :class:`ChangeKind`.
        field_names: the fields written or deleted, sorted by name, as a
            tuple; ``()`` for a whole-state deletion and learner retirement.
        update_time: the state's modification time after the change (as
            ``XBlockUserState.updated`` reads it), or for a deletion or a
            retirement when it happened: a timezone-aware UTC datetime with
            microseconds, from the database clock.
    """

    username: str
    block_key: str
    block_type: str
    scope: Optional[Union[Scope, int]]
    course_key: str
    kind: ChangeKind
    field_names: Tuple[str, ...]
    update_time: datetime.datetime


class ChangeBatch(NamedTuple):
    """One message of the feed: ``for changes, resume_token in client.watch_changes(...)``.

    Attributes:
        changes: the :class:`StateChange` objects of the message, in commit order
            (exactly, per stored state), as a tuple. Empty in the first batch
            of a watch from now (its token names the starting point) and in
            heartbeats (at least every 10 s while nothing changes).
        resume_token: opaque; store it once the batch is handled. Watching
            again with it, with the same filters, continues right after this
            batch: every later change once, none of this batch again. Store
            the tokens of empty batches too, so that the position stays
            within the feed's retention.
    """

    changes: Tuple[StateChange, ...]
    resume_token: str


def _scope_of(number):
    if number == 0:
        return None
    try:
        return Scope(number)
    except ValueError:
        return number


def change_of(message):
    """The StateChange of a ``learnerstate.v1.StateChange`` message."""
    return StateChange(message.username, message.block_key, message.block_type, _scope_of(message.scope), message.course_key,
                       _KIND_OF_NUMBER.get(message.kind, ChangeKind.UNKNOWN), tuple(message.field_names), datetime_of(message.update_time))


def batch_of(response):
    """The ChangeBatch of a WatchChangesResponse."""
    return ChangeBatch(tuple(change_of(change) for change in response.changes), response.resume_token)


def watch_requests(course_key, block_types, scopes, username):
    """A function of the resume token giving the WatchChangesRequest that continues from it.

    ``block_types`` and ``scopes`` are collections (a bare string is a
    TypeError, as it would mean its characters); scopes are anything
    :func:`~learnerstate_client._user_state_calls.scope_number` takes.
    """
    for name, value in (("block_types", block_types), ("scopes", scopes)):
        if isinstance(value, (str, bytes)):
            raise TypeError("{} must be a collection, not a single string".format(name))
    key = key_text(course_key) if course_key else ""
    types = [str(block_type) for block_type in block_types or ()]
    numbers = [scope_number(scope) for scope in scopes or ()]
    return lambda token: user_state_service_pb2.WatchChangesRequest(course_key=key, block_types=types, scopes=numbers, username=username or "",
                                                                    resume_token=token)


class Position:
    """Where a watch is: the last token received, and whether a batch is worth yielding.

    A call's first message may carry no changes and the token the call
    resumed from: a position the consumer already has, so it is not yielded
    again. (A call from now opens with such a message, which is yielded: its
    token names the starting point.)
    """

    def __init__(self, token):
        self.token = token

    def advance(self, batch):
        """Records ``batch``'s token; whether the consumer should see the batch."""
        fresh = bool(batch.changes) or batch.resume_token != self.token
        self.token = batch.resume_token
        return fresh


def lost(error, token):
    """Gives a ChangeFeedLost the token it could not honour; returns ``error``."""
    if isinstance(error, errors.ChangeFeedLost) and error.resume_token is None:
        error.resume_token = token
    return error


def ended():
    """The ServiceUnavailable of a watch whose calls, ``max_resume_attempts`` in a row, ended without a message
    (the service never ends one by itself: something between them does)."""
    return errors.ServiceUnavailable("the watch kept ending without a message", code="UNAVAILABLE")

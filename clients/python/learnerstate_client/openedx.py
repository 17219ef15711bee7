"""Open edX drop-in backend: learnerstate behind edx-platform's own interface.

:class:`ServiceUserStateClient` is a subclass of
``edx_user_state_client.interface.XBlockUserStateClient``. It takes and
returns ``opaque_keys`` keys and ``xblock.fields.Scope`` values, yields the
interface's ``XBlockUserState`` namedtuples, and raises the interface's own
``DoesNotExist``, ``PermissionDenied`` and ``ServiceUnavailable``, so code
written for ``DjangoXBlockUserStateClient`` uses it unchanged::

    from learnerstate_client.openedx import ServiceUserStateClient

    client = ServiceUserStateClient("lms-state.internal:50051", token=service_jwt)
    state = client.get("alice", UsageKey.from_string(key), Scope.user_state).state

This module imports ``edx_user_state_client``, ``opaque_keys`` and ``xblock``,
which an Open edX deployment has; the rest of ``learnerstate_client`` does
not need them.
"""

from edx_user_state_client.interface import XBlockUserState, XBlockUserStateClient
from opaque_keys.edx.keys import UsageKey
from xblock.fields import BlockScope, Scope

from . import errors
from .client import LearnerStateClient

__all__ = ["ServiceUserStateClient"]


class ServiceUserStateClient(XBlockUserStateClient):
    """The ``XBlockUserStateClient`` of edx-platform, served by learnerstate.

    Arguments:
        target: ``"host:port"`` of the service.
        token: the bearer token of every call (the LMS's administrator
            service token, or one with the ``learner_state:*`` scopes the
            calls need), a callable returning it (called per call, so it can
            refresh), or ``None`` for a server in development mode.
        **options: passed on to :class:`learnerstate_client.LearnerStateClient`
            (``timeout``, ``channel``, ``max_resume_attempts``, …).

    Every scope XBlock stores per learner or per block is served:
    ``Scope.user_state``, ``Scope.preferences``, ``Scope.user_info`` and
    ``Scope.user_state_summary``. Other scopes raise ``ValueError``.

    Errors: ``DoesNotExist`` (``get`` of a block with no state, ``get_history``
    of one that never had any), ``PermissionDenied`` (the token may not do
    this), ``ServiceUnavailable`` (no answer, the database is down, or a write
    whose outcome is unknown) are the interface's nested classes. A malformed
    key or value raises learnerstate's ``InvalidArgument`` (a ``ValueError``).
    Generators raise them while being consumed.
    """

    def __init__(self, target=None, token=None, **options):
        self._client = LearnerStateClient(target, token, **options)

    def close(self):
        """Closes the channel the client opened."""
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _translated(self, error):
        """The interface's exception for one of learnerstate's, or the error itself."""
        for ours, theirs in ((errors.DoesNotExist, self.DoesNotExist), (errors.PermissionDenied, self.PermissionDenied),
                             (errors.ServiceUnavailable, self.ServiceUnavailable)):
            if isinstance(error, ours):
                translated = theirs(str(error))
                translated.reason = error.reason
                return translated
        return error

    def _call(self, work, *args, **kwargs):
        try:
            return work(*args, **kwargs)
        except errors.LearnerStateError as error:
            raise self._translated(error) from error

    def _each(self, states, make_key, scope):
        """``states`` (learnerstate's XBlockUserState) as the interface's, with errors translated as they come."""
        try:
            for state in states:
                yield XBlockUserState(state.username, make_key(state.block_key), state.state, state.updated, scope)
        except errors.LearnerStateError as error:
            raise self._translated(error) from error

    # The calls that name blocks give back the keys the caller passed.

    def get_many(self, username, block_keys, scope=Scope.user_state, fields=None):
        """Yields an ``XBlockUserState`` for each block of ``block_keys`` that has state, in their order.

        Blocks with no state (never written, or deleted) are skipped; a key
        given twice is answered once. With ``fields``, each state holds only
        those of the named fields it has (``{}`` if none).
        """
        return self._each(self._call(self._client.get_many, username, block_keys, scope, fields), _unchanged, scope)

    def set_many(self, username, block_keys_to_state, scope=Scope.user_state):
        """Overlays each state dict on its block's stored state, atomically per call (see LearnerStateClient.set_many)."""
        self._call(self._client.set_many, username, block_keys_to_state, scope)

    def delete_many(self, username, block_keys, scope=Scope.user_state, fields=None):
        """Deletes each block's state, or only ``fields``; missing blocks and fields are ignored."""
        self._call(self._client.delete_many, username, block_keys, scope, fields)

    def get_mod_date(self, username, block_key, scope=Scope.user_state, fields=None):
        """Dict of field name to the UTC datetime it was last written; ``{}`` when the block has no state."""
        return self._call(self._client.get_mod_date, username, block_key, scope, fields)

    def get_history(self, username, block_key, scope=Scope.user_state):
        """Yields every write to the block, newest first; ``state`` is ``None`` for a deletion.

        Raises ``DoesNotExist`` at once when the block never had state.
        """
        entries = self._call(self._client.get_history, username, block_key, scope)
        return self._each(entries, _unchanged, scope)

    # The calls that name no block return keys as the interface types them.

    def iter_all_for_block(self, block_key, scope=Scope.user_state, batch_size=None):
        """Yields every learner's current state of the block (resuming by itself after UNAVAILABLE)."""
        states = self._call(self._client.iter_all_for_block, block_key, scope, batch_size)
        return self._each(states, _key_of_scope(scope), scope)

    def iter_all_for_course(self, course_key, block_type=None, scope=Scope.user_state, batch_size=None):
        """Yields every learner's current state of every block of the course (resuming by itself after UNAVAILABLE)."""
        states = self._call(self._client.iter_all_for_course, course_key, block_type, scope, batch_size)
        return self._each(states, _key_of_scope(scope), scope)


def _unchanged(key):
    """learnerstate's client already gives back the key objects the caller passed."""
    return key


def _key_of_scope(scope):
    """How ``XBlockUserState.block_key`` is typed for ``scope``: a UsageKey,
    the block type (str) for BlockScope.TYPE, or None for BlockScope.ALL."""
    block_scope = getattr(scope, "block", BlockScope.USAGE)
    if block_scope == BlockScope.TYPE:
        return lambda text: UsageKey.from_string(text).block_type
    if block_scope == BlockScope.ALL:
        return lambda text: None
    return UsageKey.from_string

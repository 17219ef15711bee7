"""Exceptions raised by :class:`learnerstate_client.LearnerStateClient`.

They mirror the nested exception classes of Open edX's
``XBlockUserStateClient`` (``DoesNotExist``, ``PermissionDenied``,
``ServiceUnavailable``), which the client also exposes as class attributes,
so code written against that interface can catch ``client.DoesNotExist``.
"""

import grpc

from ._proto import rpc_details_pb2, user_state_pb2

_ERROR_INFO_TYPE = "google.rpc.ErrorInfo"
_RETRY_INFO_TYPE = "google.rpc.RetryInfo"
_STATE_CHANGED_TYPE = "learnerstate.v1.StateChangedDetail"
_STATUS_DETAILS_KEY = "grpc-status-details-bin"


class LearnerStateError(Exception):
    """A call to the learnerstate service failed.

    Attributes:
        code: the gRPC status code name, for example ``"NOT_FOUND"``, or
            ``None`` when the client itself raised the error (``get`` of a
            block the service returned no state for).
        message: the server's (or gRPC's) message.
        reason: the stable ``google.rpc.ErrorInfo`` reason (for example
            ``"STATE_NOT_FOUND"``), or ``None`` when the error carried none
            (connection failures, for instance). Match on this, not on
            ``message``.
        domain: the ErrorInfo domain (``"learnerstate"``), or ``None``.
        metadata: the ErrorInfo metadata as a dict (empty when absent).
        retry_after: seconds the server asked to wait before retrying (from a
            ``google.rpc.RetryInfo`` detail), or ``None``.
    """

    def __init__(self, message, code=None, reason=None, domain=None, metadata=None, retry_after=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = reason
        self.domain = domain
        self.metadata = dict(metadata or {})
        self.retry_after = retry_after

    def __str__(self):
        parts = [self.code] if self.code else []
        if self.reason and self.reason != self.code:
            parts.append(self.reason)
        prefix = "{}: ".format(" ".join(parts)) if parts else ""
        return prefix + str(self.message)


class DoesNotExist(LearnerStateError):
    """The requested state does not exist (NOT_FOUND, or ``get`` of a block with no state)."""


class PermissionDenied(LearnerStateError):
    """The caller may not do this: PERMISSION_DENIED, or UNAUTHENTICATED (no valid token).

    ``code`` tells the two apart.
    """


class ServiceUnavailable(LearnerStateError):
    """The service could not answer: UNAVAILABLE (no server, database down) or DEADLINE_EXCEEDED.

    ``retry_after`` holds the server's hint when its circuit breaker is open.
    """


class OutcomeUnknown(ServiceUnavailable):
    """A write whose outcome the server cannot know: the database was sent the
    statement but never answered (ABORTED, or DEADLINE_EXCEEDED, with reason
    ``OUTCOME_UNKNOWN``). It may or may not have been applied: read the state
    before writing it again. Unlike plain ``ServiceUnavailable``, retrying
    blindly is not known to be safe.
    """


class Overloaded(ServiceUnavailable):
    """The service was at its capacity and turned the call away before doing
    anything (RESOURCE_EXHAUSTED, reason ``OVERLOADED``): retrying after
    ``retry_after`` is safe. The client's channel already retried it (see
    ``CHANNEL_OPTIONS``) until its retry budget said stop.
    """


class InvalidArgument(LearnerStateError, ValueError):
    """The request was refused as malformed (INVALID_ARGUMENT). Nothing was changed.

    ``metadata["field"]`` names the request field at fault when the server
    says so. Also a ``ValueError``.
    """


class FailedPrecondition(LearnerStateError):
    """The call cannot be made in the current state (FAILED_PRECONDITION), and
    nothing was changed: deleting a catalog course that has runs (Django's
    ``ProtectedError``), creating a run of an unknown organization while the
    service does not create organizations, or of a run that exists under
    another spelling of its key. ``reason`` says which."""


class ResourceExhausted(LearnerStateError, ValueError):
    """A value, a block's state or a message is larger than the service allows
    (RESOURCE_EXHAUSTED). Nothing was changed. Also a ``ValueError``."""


class StateChanged(LearnerStateError):
    """A write's precondition did not hold (ABORTED, reason ``STATE_CHANGED``):
    a state was written (or deleted, or created) since the caller read the
    etag it passed, and nothing of the call was written. Read the state
    again and retry; retrying the same call unchanged fails the same way.

    Not a ``ServiceUnavailable``, although its code is ABORTED: code that
    retries blindly on those must not retry this.

    Attributes:
        current_etags: dict of block key (as the request spelled it: the
            key's ``str``) to the state's etag now, ``""`` when the state does
            not exist, for each block whose precondition failed, in request
            order. Blocks whose precondition held are not in it. At most 100
            blocks: the service reports no more.
        changed_count: how many blocks' preconditions failed (may exceed
            ``len(current_etags)``).
    """

    def __init__(self, message, current_etags=None, **kwargs):
        super().__init__(message, **kwargs)
        self.current_etags = dict(current_etags or {})
        try:
            self.changed_count = int(self.metadata.get("changedCount", len(self.current_etags)))
        except ValueError:
            self.changed_count = len(self.current_etags)


class ChangeFeedLost(LearnerStateError):
    """``watch_changes`` cannot continue from the resume token (OUT_OF_RANGE):
    changes after it may be missing, so the consumer must read the state
    again (``iter_all_for_course``) and watch from now (``resume_token=""``).
    ``reason`` says why; the subclasses :class:`ChangeFeedExpired` and
    :class:`ChangeFeedPositionUnknown` match the two reasons the service
    sends.

    Attributes:
        resume_token: the token that could not be honoured (the last one the
            iterator received, or the one it was given), or ``None``.
    """

    def __init__(self, message, resume_token=None, **kwargs):
        super().__init__(message, **kwargs)
        self.resume_token = resume_token


class ChangeFeedExpired(ChangeFeedLost):
    """Reason ``CHANGE_FEED_EXPIRED``: the feed's retention removed changes
    after the token (the server keeps them ``CHANGE_FEED_RETENTION_SECONDS``,
    7 days by default). Store the tokens of heartbeat batches too, so that a
    quiet feed does not age a consumer's position."""


class ChangeFeedPositionUnknown(ChangeFeedLost):
    """Reason ``CHANGE_FEED_POSITION_UNKNOWN``: the token names transactions
    this database never had (a failover that lost committed transactions,
    or a token of another deployment's database)."""


_CLASS_OF_CODE = {
    grpc.StatusCode.NOT_FOUND: DoesNotExist,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: PermissionDenied,
    grpc.StatusCode.UNAVAILABLE: ServiceUnavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: ServiceUnavailable,
    grpc.StatusCode.ABORTED: OutcomeUnknown,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.OUT_OF_RANGE: ChangeFeedLost,
}

# Reasons that pick a finer class than the code does.
_CLASS_OF_REASON = {
    "OUTCOME_UNKNOWN": OutcomeUnknown,
    "OVERLOADED": Overloaded,
    "STATE_CHANGED": StateChanged,
    # A deadlock the database broke by rolling the write back: nothing was applied.
    "WRITE_CONFLICT": ServiceUnavailable,
    "CHANGE_FEED_EXPIRED": ChangeFeedExpired,
    "CHANGE_FEED_POSITION_UNKNOWN": ChangeFeedPositionUnknown,
}


def _type_name(type_url):
    return type_url.rsplit("/", 1)[-1]


class _Details:
    """What a failed call's ``grpc-status-details-bin`` trailer says; every part None when absent."""

    def __init__(self):
        self.info = None
        self.retry_after = None
        self.current_etags = None


def _read_detail(details, name, value):
    """Adds one Any detail to ``details``; the first of each type counts, unknown types are ignored."""
    if name == _ERROR_INFO_TYPE and details.info is None:
        details.info = rpc_details_pb2.ErrorInfo.FromString(value)
    elif name == _RETRY_INFO_TYPE and details.retry_after is None:
        delay = rpc_details_pb2.RetryInfo.FromString(value).retry_delay
        details.retry_after = delay.seconds + delay.nanos / 1e9
    elif name == _STATE_CHANGED_TYPE and details.current_etags is None:
        detail = user_state_pb2.StateChangedDetail.FromString(value)
        details.current_etags = {block.block_key: block.etag for block in detail.current_etags}


def _status_details(error):
    """The details of a failed call (see _Details)."""
    details = _Details()
    trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    blob = None
    for key, value in trailers or ():
        if key == _STATUS_DETAILS_KEY:
            blob = value
    if not blob:
        return details
    try:
        status = rpc_details_pb2.Status.FromString(blob)
    except Exception:  # a malformed trailer must not hide the real error
        return details
    for detail in status.details:
        try:
            _read_detail(details, _type_name(detail.type_url), detail.value)
        except Exception:
            continue
    return details


def from_rpc_error(error):
    """Turns a ``grpc.RpcError`` into the matching :class:`LearnerStateError` subclass."""
    code = error.code() if hasattr(error, "code") else None
    message = error.details() if hasattr(error, "details") else None
    details = _status_details(error)
    info = details.info
    reason = info.reason if info is not None and info.reason else None
    cls = _CLASS_OF_REASON.get(reason) or _CLASS_OF_CODE.get(code, LearnerStateError)
    extra = {"current_etags": details.current_etags} if cls is StateChanged else {}
    return cls(
        message or (code.name if code is not None else str(error)),
        code=code.name if code is not None else None,
        reason=reason,
        domain=info.domain if info is not None and info.domain else None,
        metadata=dict(info.metadata) if info is not None else None,
        retry_after=details.retry_after,
        **extra,
    )

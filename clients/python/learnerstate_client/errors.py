"""Exceptions raised by :class:`learnerstate_client.LearnerStateClient`.

They mirror the nested exception classes of Open edX's
``XBlockUserStateClient`` (``DoesNotExist``, ``PermissionDenied``,
``ServiceUnavailable``), which the client also exposes as class attributes,
so code written against that interface can catch ``client.DoesNotExist``.
"""

import grpc

from ._proto import rpc_details_pb2

_ERROR_INFO_TYPE = "google.rpc.ErrorInfo"
_RETRY_INFO_TYPE = "google.rpc.RetryInfo"
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
}


def _type_name(type_url):
    return type_url.rsplit("/", 1)[-1]


def _status_details(error):
    """The ErrorInfo and RetryInfo of a failed call, as (ErrorInfo or None, seconds or None)."""
    trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    blob = None
    for key, value in trailers or ():
        if key == _STATUS_DETAILS_KEY:
            blob = value
    if not blob:
        return None, None
    try:
        status = rpc_details_pb2.Status.FromString(blob)
    except Exception:  # a malformed trailer must not hide the real error
        return None, None
    info = None
    retry_after = None
    for detail in status.details:
        name = _type_name(detail.type_url)
        try:
            if name == _ERROR_INFO_TYPE and info is None:
                info = rpc_details_pb2.ErrorInfo.FromString(detail.value)
            elif name == _RETRY_INFO_TYPE and retry_after is None:
                delay = rpc_details_pb2.RetryInfo.FromString(detail.value).retry_delay
                retry_after = delay.seconds + delay.nanos / 1e9
        except Exception:
            continue
    return info, retry_after


def from_rpc_error(error):
    """Turns a ``grpc.RpcError`` into the matching :class:`LearnerStateError` subclass."""
    code = error.code() if hasattr(error, "code") else None
    message = error.details() if hasattr(error, "details") else None
    info, retry_after = _status_details(error)
    cls = _CLASS_OF_CODE.get(code, LearnerStateError)
    if info is not None and info.reason == "OUTCOME_UNKNOWN":
        cls = OutcomeUnknown
    elif info is not None and info.reason == "OVERLOADED":
        cls = Overloaded
    return cls(
        message or (code.name if code is not None else str(error)),
        code=code.name if code is not None else None,
        reason=info.reason if info is not None and info.reason else None,
        domain=info.domain if info is not None and info.domain else None,
        metadata=dict(info.metadata) if info is not None else None,
        retry_after=retry_after,
    )

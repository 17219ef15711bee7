"""Python client of learnerstate, the network form of Open edX's XBlockUserStateClient.

    from learnerstate_client import LearnerStateClient

    with LearnerStateClient("127.0.0.1:50051", token=jwt) as client:
        client.set("alice", "block-v1:edX+DemoX+2026+type@problem+block@q1", {"attempts": 1})
        client.get("alice", "block-v1:edX+DemoX+2026+type@problem+block@q1").state  # {'attempts': 1}

``watch_changes`` follows every change as it commits (see
:mod:`learnerstate_client.changes`); reads carry etags and writes take them
as conditions (``StateChanged`` when one fails).

``learnerstate_client.aio`` has the asyncio client, and
``learnerstate_client.openedx`` the drop-in ``XBlockUserStateClient`` backend
for Open edX (it imports the upstream packages; this module does not).
"""

from .block_structures import (CollectedBlock, CollectedStructure, StructureVersion, TransformedBlock, TransformedStructure, UpdateResult,
                               UpToDate)
from .catalog import CatalogClient, CatalogCourse, CourseRun, Organization
from .changes import ChangeBatch, ChangeKind, StateChange
from ._connection import tls_credentials
from .client import LearnerErasure, LearnerStateClient, Scope, XBlockUserState
from .errors import (ChangeFeedExpired, ChangeFeedLost, ChangeFeedPositionUnknown, DoesNotExist, FailedPrecondition, InvalidArgument,
                     LearnerStateError, OutcomeUnknown, Overloaded, PermissionDenied, ResourceExhausted, ServiceUnavailable, StateChanged)

__all__ = [
    "CatalogClient",
    "CatalogCourse",
    "ChangeBatch",
    "ChangeFeedExpired",
    "ChangeFeedLost",
    "ChangeFeedPositionUnknown",
    "ChangeKind",
    "CollectedBlock",
    "CollectedStructure",
    "CourseRun",
    "DoesNotExist",
    "FailedPrecondition",
    "InvalidArgument",
    "LearnerErasure",
    "LearnerStateClient",
    "LearnerStateError",
    "Organization",
    "OutcomeUnknown",
    "Overloaded",
    "PermissionDenied",
    "ResourceExhausted",
    "Scope",
    "ServiceUnavailable",
    "StateChange",
    "StateChanged",
    "StructureVersion",
    "TransformedBlock",
    "TransformedStructure",
    "UpToDate",
    "UpdateResult",
    "XBlockUserState",
    "tls_credentials",
]

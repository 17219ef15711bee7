"""Python client of learnerstate, the network form of Open edX's XBlockUserStateClient.

    from learnerstate_client import LearnerStateClient

    with LearnerStateClient("127.0.0.1:50051", token=jwt) as client:
        client.set("alice", "block-v1:edX+DemoX+2026+type@problem+block@q1", {"attempts": 1})
        client.get("alice", "block-v1:edX+DemoX+2026+type@problem+block@q1").state  # {'attempts': 1}

``learnerstate_client.aio`` has the asyncio client, and
``learnerstate_client.openedx`` the drop-in ``XBlockUserStateClient`` backend
for Open edX (it imports the upstream packages; this module does not).
"""

from .block_structures import (CollectedBlock, CollectedStructure, StructureVersion, TransformedBlock, TransformedStructure, UpdateResult,
                               UpToDate)
from .catalog import CatalogClient, CatalogCourse, CourseRun, Organization
from ._connection import tls_credentials
from .client import LearnerErasure, LearnerStateClient, Scope, XBlockUserState
from .errors import (DoesNotExist, FailedPrecondition, InvalidArgument, LearnerStateError, OutcomeUnknown, Overloaded, PermissionDenied,
                     ResourceExhausted, ServiceUnavailable)

__all__ = [
    "CatalogClient",
    "CatalogCourse",
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
    "StructureVersion",
    "TransformedBlock",
    "TransformedStructure",
    "UpToDate",
    "UpdateResult",
    "XBlockUserState",
    "tls_credentials",
]

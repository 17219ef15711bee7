"""What the blocking and the asyncio client both hold: a channel (opened or
lent), the stubs of every service, the token and the call limits."""

from . import _user_state_calls as calls
from ._proto import block_structure_service_pb2_grpc, catalog_service_pb2_grpc, user_state_service_pb2_grpc
from .catalog import CatalogClient


class Connection:
    """Base of both clients; ``open_channel(target, options)`` is grpc's or grpc.aio's ``insecure_channel``."""

    def _connect(self, open_channel, target, channel, token, timeout, iter_timeout, max_resume_attempts, reconnect_timeout,
                 max_read_blocks, max_write_blocks, channel_options=()):
        # A channel passed in is the caller's to close; one opened here, the client's.
        self._owns_channel = channel is None
        if channel is None:
            if not target:
                raise ValueError("give a target such as '127.0.0.1:50051', or a channel")
            channel = open_channel(target, options=calls.CHANNEL_OPTIONS + list(channel_options))
        self._channel = channel
        self._stub = user_state_service_pb2_grpc.UserStateServiceStub(channel)
        self._stubs = {"catalog": catalog_service_pb2_grpc.CatalogServiceStub(channel),
                       "block_structures": block_structure_service_pb2_grpc.BlockStructureServiceStub(channel)}
        self._token = token
        self._timeout = timeout
        self._iter_timeout = iter_timeout
        self._max_resume_attempts = max_resume_attempts
        self._reconnect_timeout = reconnect_timeout
        self._max_read_blocks = max_read_blocks
        self._max_write_blocks = max_write_blocks
        self.catalog = CatalogClient(self._perform)

    def _metadata(self):
        token = self._token() if callable(self._token) else self._token
        return (("authorization", "Bearer " + token),) if token else ()

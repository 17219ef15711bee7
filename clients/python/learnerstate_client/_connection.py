"""What the blocking and the asyncio client both hold: a channel (opened or
lent), the stubs of every service, the token and the call limits."""

import grpc

from . import _user_state_calls as calls
from ._proto import block_structure_service_pb2_grpc, catalog_service_pb2_grpc, user_state_service_pb2_grpc
from .catalog import CatalogClient


def tls_credentials(ca_file=None, cert_file=None, key_file=None):
    """Channel credentials for a server with TLS on its port (TLS_CERT_FILE):
    trusting the CA certificates in ``ca_file`` (PEM; ``None``: the system's),
    and presenting the client certificate ``cert_file`` with its key
    ``key_file`` when the server asks for one (TLS_CLIENT_CA_FILE). Pass the
    result as a client's ``credentials``."""

    def read(path):
        if path is None:
            return None
        with open(path, "rb") as pem:
            return pem.read()

    if (cert_file is None) != (key_file is None):
        raise ValueError("give both cert_file and key_file, or neither")
    return grpc.ssl_channel_credentials(root_certificates=read(ca_file), private_key=read(key_file), certificate_chain=read(cert_file))


class Connection:
    """Base of both clients; ``grpc_module`` is ``grpc`` or ``grpc.aio``, whose channels they open."""

    def _connect(self, grpc_module, target, channel, token, timeout, iter_timeout, max_resume_attempts, reconnect_timeout,
                 max_read_blocks, max_write_blocks, channel_options=(), credentials=None):
        # A channel passed in is the caller's to close; one opened here, the client's.
        self._owns_channel = channel is None
        if channel is None:
            if not target:
                raise ValueError("give a target such as '127.0.0.1:50051', or a channel")
            options = calls.CHANNEL_OPTIONS + list(channel_options)
            if credentials is None:
                channel = grpc_module.insecure_channel(target, options=options)
            else:
                channel = grpc_module.secure_channel(target, credentials, options=options)
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

"""The generated stubs (committed; clients/python/generate.sh writes them), with a clear error when they are broken."""

try:
    from ._generated import rpc_details_pb2
    from ._generated.learnerstate.v1 import scope_pb2, user_state_pb2, user_state_service_pb2, user_state_service_pb2_grpc
    from ._generated.learnerstate.v1 import block_structure_pb2, block_structure_service_pb2, block_structure_service_pb2_grpc
    from ._generated.learnerstate.v1 import catalog_pb2, catalog_service_pb2, catalog_service_pb2_grpc
except ImportError as error:  # pragma: no cover - depends on the checkout
    raise ImportError(
        "learnerstate_client: the generated stubs are missing or broken ({}); "
        "run clients/python/generate.sh (needs Debian's protobuf-compiler and "
        "protobuf-compiler-grpc)".format(error)
    ) from error

__all__ = [
    "block_structure_pb2",
    "block_structure_service_pb2",
    "block_structure_service_pb2_grpc",
    "catalog_pb2",
    "catalog_service_pb2",
    "catalog_service_pb2_grpc",
    "rpc_details_pb2",
    "scope_pb2",
    "user_state_pb2",
    "user_state_service_pb2",
    "user_state_service_pb2_grpc",
]

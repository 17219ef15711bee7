"""errors.from_rpc_error picks the class from the code and the ErrorInfo reason,
and reads the StateChangedDetail, without a server: the trailers are built here."""

import unittest

import grpc
from google.protobuf import any_pb2

from learnerstate_client import (ChangeFeedExpired, ChangeFeedLost, ChangeFeedPositionUnknown, LearnerStateError, OutcomeUnknown, StateChanged)
from learnerstate_client import errors
from learnerstate_client._proto import rpc_details_pb2, user_state_pb2


class FakeRpcError(grpc.RpcError):
    def __init__(self, code, message, *details):
        status = rpc_details_pb2.Status(code=code.value[0], message=message)
        for type_name, detail in details:
            status.details.append(any_pb2.Any(type_url="type.googleapis.com/" + type_name, value=detail.SerializeToString()))
        self._code, self._message, self._blob = code, message, status.SerializeToString()

    def code(self):
        return self._code

    def details(self):
        return self._message

    def trailing_metadata(self):
        return (("grpc-status-details-bin", self._blob),)


def error_info(reason, **metadata):
    return "google.rpc.ErrorInfo", rpc_details_pb2.ErrorInfo(reason=reason, domain="learnerstate", metadata=metadata)


class ErrorDetailsTest(unittest.TestCase):
    def test_state_changed_carries_the_current_etags(self):
        detail = user_state_pb2.StateChangedDetail(current_etags=[user_state_pb2.BlockEtag(block_key="k1", etag="e1"),
                                                                  user_state_pb2.BlockEtag(block_key="k2", etag="")])
        error = errors.from_rpc_error(FakeRpcError(grpc.StatusCode.ABORTED, "k1: the state was written since",
                                                   error_info("STATE_CHANGED", changedCount="120"),
                                                   ("learnerstate.v1.StateChangedDetail", detail)))
        self.assertIs(type(error), StateChanged)
        self.assertEqual(error.current_etags, {"k1": "e1", "k2": ""})
        self.assertEqual((error.code, error.reason, error.changed_count), ("ABORTED", "STATE_CHANGED", 120))

    def test_state_changed_without_its_detail_has_no_etags(self):
        error = errors.from_rpc_error(FakeRpcError(grpc.StatusCode.ABORTED, "changed", error_info("STATE_CHANGED")))
        self.assertIs(type(error), StateChanged)
        self.assertEqual((error.current_etags, error.changed_count), ({}, 0))

    def test_other_aborted_errors_stay_outcome_unknown(self):
        self.assertIs(type(errors.from_rpc_error(FakeRpcError(grpc.StatusCode.ABORTED, "?", error_info("OUTCOME_UNKNOWN")))), OutcomeUnknown)
        self.assertIs(type(errors.from_rpc_error(FakeRpcError(grpc.StatusCode.ABORTED, "?"))), OutcomeUnknown)

    def test_out_of_range_reasons_are_change_feed_lost(self):
        for reason, cls in (("CHANGE_FEED_EXPIRED", ChangeFeedExpired), ("CHANGE_FEED_POSITION_UNKNOWN", ChangeFeedPositionUnknown),
                            ("SOMETHING_NEW", ChangeFeedLost)):
            error = errors.from_rpc_error(FakeRpcError(grpc.StatusCode.OUT_OF_RANGE, "resume_token: gone", error_info(reason)))
            self.assertIs(type(error), cls)
            self.assertIsInstance(error, LearnerStateError)
            self.assertEqual((error.code, error.reason, error.resume_token), ("OUT_OF_RANGE", reason, None))


if __name__ == "__main__":
    unittest.main()

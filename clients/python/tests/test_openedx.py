"""The Open edX drop-in backend against real servers, with the unmodified
upstream packages edx-platform uses (edx_user_state_client, opaque_keys,
xblock; run-tests.sh puts ../shared/openedx-python on PYTHONPATH)."""

import datetime
import unittest

from edx_user_state_client import interface
from opaque_keys.edx.keys import CourseKey, UsageKey
from server_fixture import Server, block_key, free_port, mint_token, stop_cleanly, unique
from xblock.fields import Scope

from learnerstate_client.openedx import ServiceUserStateClient

SECRET = "openedx-backend-test-secret-0123456789abcdef"
ISSUER = "https://lms.example/oauth2"
AUDIENCE = "learnerstate"

SERVER = None
CLIENT = None


def setUpModule():
    global SERVER, CLIENT
    SERVER = Server(env={"JWT_SECRET": SECRET, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE})
    admin = mint_token({"preferred_username": unique("lms"), "administrator": True}, SECRET, ISSUER, AUDIENCE)
    CLIENT = ServiceUserStateClient(SERVER.target, token=admin, timeout=30)


def tearDownModule():
    stop_cleanly(SERVER, CLIENT)


def new_course():
    return CourseKey.from_string("course-v1:{}+Edx+2026".format(unique("Org")))


def usage(course, block_type, block_id):
    return UsageKey.from_string(block_key(str(course), block_type, block_id))


class DropInTest(unittest.TestCase):
    def test_is_the_interface_edx_platform_swaps_backends_by(self):
        self.assertIsInstance(CLIENT, interface.XBlockUserStateClient)
        self.assertIs(CLIENT.DoesNotExist, interface.XBlockUserStateClient.DoesNotExist)

    def test_takes_and_returns_opaque_keys_scopes_and_the_interface_tuples(self):
        username, key = unique("alice"), usage(new_course(), "problem", "q1")
        CLIENT.set(username, key, {"attempts": 1, "student_answers": {"q1_2_1": "choice_2"}}, Scope.user_state)
        state = CLIENT.get(username, key, Scope.user_state)
        self.assertIs(type(state), interface.XBlockUserState)
        self.assertEqual((state.username, state.block_key, state.scope), (username, key, Scope.user_state))
        self.assertIs(state.block_key, key)
        self.assertEqual(state.state, {"attempts": 1, "student_answers": {"q1_2_1": "choice_2"}})
        self.assertEqual(state.updated.tzinfo, datetime.timezone.utc)
        self.assertEqual(CLIENT.get(username, key, fields=["attempts"]).state, {"attempts": 1})

    def test_get_many_skips_blocks_without_state_and_keeps_the_callers_keys(self):
        username, course = unique("bob"), new_course()
        first, missing, second = usage(course, "problem", "a"), usage(course, "problem", "b"), usage(course, "html", "c")
        CLIENT.set_many(username, {first: {"n": 1}, second: {"n": 2}})
        states = list(CLIENT.get_many(username, [first, missing, second]))
        self.assertEqual([(state.block_key, state.state) for state in states], [(first, {"n": 1}), (second, {"n": 2})])

    def test_get_of_a_block_without_state_raises_the_interfaces_does_not_exist(self):
        key = usage(new_course(), "problem", "never")
        with self.assertRaises(interface.XBlockUserStateClient.DoesNotExist):
            CLIENT.get(unique("nobody"), key)
        with self.assertRaises(interface.XBlockUserStateClient.DoesNotExist) as raised:
            list(CLIENT.get_history(unique("nobody"), key))
        self.assertEqual(raised.exception.reason, "STATE_NOT_FOUND")

    def test_delete_and_history_newest_first(self):
        username, key = unique("carol"), usage(new_course(), "problem", "h")
        CLIENT.set(username, key, {"attempts": 1, "seed": 7})
        CLIENT.delete(username, key, fields=["seed"])
        CLIENT.delete(username, key)
        with self.assertRaises(CLIENT.DoesNotExist):
            CLIENT.get(username, key)
        history = list(CLIENT.get_history(username, key))
        self.assertEqual([entry.state for entry in history], [None, {"attempts": 1}, {"attempts": 1, "seed": 7}])
        self.assertTrue(all(type(entry) is interface.XBlockUserState and entry.block_key is key for entry in history))
        self.assertEqual(sorted(CLIENT.get_mod_date(username, key)), [])

    def test_iter_all_for_course_yields_usage_keys(self):
        course = new_course()
        learners = [unique("learner") for _ in range(3)]
        keys = [usage(course, "problem", "p{}".format(index)) for index in range(4)]
        for learner in learners:
            CLIENT.set_many(learner, {key: {"seed": index} for index, key in enumerate(keys)})
        states = list(CLIENT.iter_all_for_course(course, block_type="problem", batch_size=5))
        self.assertEqual(len(states), 12)
        self.assertTrue(all(isinstance(state.block_key, UsageKey) for state in states))
        self.assertEqual({(state.username, state.block_key) for state in states}, {(learner, key) for learner in learners for key in keys})
        per_block = list(CLIENT.iter_all_for_block(keys[2]))
        self.assertEqual(sorted(state.username for state in per_block), sorted(learners))
        self.assertTrue(all(state.block_key == keys[2] and state.state == {"seed": 2} for state in per_block))

    def test_every_scope_xblock_stores_per_learner_or_per_block(self):
        username, course = unique("dave"), new_course()
        first_video, second_video = usage(course, "video", "v1"), usage(new_course(), "video", "v2")
        CLIENT.set(username, first_video, {"speed": 1.5}, Scope.preferences)
        self.assertEqual(CLIENT.get(username, second_video, Scope.preferences).state, {"speed": 1.5})
        preferences = [state for state in CLIENT.iter_all_for_block(second_video, Scope.preferences) if state.username == username]
        self.assertEqual([(state.block_key, state.state) for state in preferences], [("video", {"speed": 1.5})])
        CLIENT.set(username, first_video, {"timezone": "UTC"}, Scope.user_info)
        self.assertEqual(CLIENT.get(username, usage(course, "problem", "x"), Scope.user_info).state, {"timezone": "UTC"})
        poll = usage(course, "poll", "p")
        CLIENT.set(unique("eve"), poll, {"tally": {"yes": 1}}, Scope.user_state_summary)
        summary = list(CLIENT.iter_all_for_course(course, scope=Scope.user_state_summary))
        self.assertEqual([(state.username, state.block_key, state.state) for state in summary], [("", poll, {"tally": {"yes": 1}})])

    def test_a_token_without_the_scope_gets_the_interfaces_permission_denied(self):
        learner = unique("frank")
        token = mint_token({"preferred_username": learner, "scopes": ["learner_state:read"], "filters": ["user:me"]}, SECRET, ISSUER, AUDIENCE)
        with ServiceUserStateClient(SERVER.target, token=token) as learner_client:
            key = usage(new_course(), "problem", "graded")
            with self.assertRaises(interface.XBlockUserStateClient.PermissionDenied):
                learner_client.set(learner, key, {"score": {"raw_earned": 1, "raw_possible": 1}})
            self.assertEqual(list(learner_client.get_many(learner, [key])), [])

    def test_no_server_is_the_interfaces_service_unavailable(self):
        with ServiceUserStateClient("127.0.0.1:{}".format(free_port()), timeout=2) as unreachable:
            with self.assertRaises(interface.XBlockUserStateClient.ServiceUnavailable):
                unreachable.get(unique("gina"), usage(new_course(), "problem", "p"))


if __name__ == "__main__":
    unittest.main()

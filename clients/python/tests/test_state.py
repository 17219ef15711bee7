"""The client against a real learnerstate server in development mode (no tokens)."""

import datetime
import math
import time
import unittest

from server_fixture import Server, TcpProxy, block_key, stop_cleanly, unique

from learnerstate_client import (DoesNotExist, InvalidArgument, LearnerErasure, LearnerStateClient, Scope,
                                 ServiceUnavailable, XBlockUserState)

SERVER = None
CLIENT = None


def setUpModule():
    global SERVER, CLIENT
    SERVER = Server()
    CLIENT = LearnerStateClient(SERVER.target, timeout=30)


def tearDownModule():
    stop_cleanly(SERVER, CLIENT)


def new_course():
    return "course-v1:{}+Py+2026".format(unique("Org"))


class FakeUsageKey:
    """Stands for an opaque-keys UsageKey: the client sends str(key)."""

    def __init__(self, text):
        self.text = text

    def __str__(self):
        return self.text


class XBlockScopeLike:
    """Stands for xblock.fields.Scope.user_state, which the client knows by its name."""

    name = "user_state"


class RoundTripTest(unittest.TestCase):
    def setUp(self):
        self.username = unique("learner")
        self.key = block_key(new_course(), "problem", "q1")

    def test_values_come_back_as_they_went_in(self):
        state = {
            "attempts": 1,
            "beyond_double": 2 ** 53 + 1,
            "big": 10 ** 30,
            "negative": -7,
            "zero": 0,
            "ratio": 0.1,
            "whole_float": 2.0,
            "large_float": 1e16,
            "tiny_float": 1.5e-7,
            "max_float": 1.7976931348623157e308,
            "text": "h\u00e9llo w\u00f6rld \u2713 \U0001d11e \u4e2d\u6587",
            "bom": "\ufeffkeeps its byte order mark",
            "quotes": "a \"quoted\" \\ back\nslash\ttab",
            "empty_text": "",
            "nothing": None,
            "yes": True,
            "no": False,
            "list": [1, 2.5, "x", None, False, []],
            "nested": {"a": {"b": [{"c": 1, "d": [0.5, {"e": "\u00fc"}]}]}, "": "empty key"},
            "empty_object": {},
            "\u00e9t\u00e9 \U0001f600": "unicode field name",
        }
        before = datetime.datetime.now(datetime.timezone.utc)
        CLIENT.set(self.username, self.key, state)
        got = CLIENT.get(self.username, self.key)

        self.assertIsInstance(got, XBlockUserState)
        self.assertEqual(got.state, state)
        for name in ("attempts", "beyond_double", "big", "negative", "zero"):
            self.assertIs(type(got.state[name]), int, name)
        for name in ("ratio", "whole_float", "large_float", "tiny_float", "max_float"):
            self.assertIs(type(got.state[name]), float, name)
        self.assertEqual(got.state["beyond_double"], 9007199254740993)
        self.assertEqual((got.username, got.block_key, got.scope), (self.username, self.key, Scope.USER_STATE))
        self.assertEqual(got.updated.utcoffset(), datetime.timedelta(0))
        self.assertLess(abs(got.updated - before), datetime.timedelta(minutes=1))

    def test_set_overlays_fields_like_dict_update(self):
        CLIENT.set(self.username, self.key, {"a": 1, "b": 2})
        CLIENT.set(self.username, self.key, {"b": 3, "c": [4]})
        self.assertEqual(CLIENT.get(self.username, self.key).state, {"a": 1, "b": 3, "c": [4]})

    def test_an_empty_state_is_stored_and_read_back_as_empty(self):
        CLIENT.set(self.username, self.key, {})
        self.assertEqual(CLIENT.get(self.username, self.key).state, {})

    def test_key_objects_are_sent_as_strings_and_handed_back(self):
        key = FakeUsageKey(self.key)
        CLIENT.set(self.username, key, {"a": 1}, scope=XBlockScopeLike())
        got = CLIENT.get(self.username, key, scope="user_state")
        self.assertIs(got.block_key, key)
        self.assertEqual(got.scope, "user_state")
        self.assertEqual(CLIENT.get(self.username, self.key).state, {"a": 1})

    def test_values_json_cannot_hold_are_refused_before_sending(self):
        with self.assertRaises(ValueError):
            CLIENT.set(self.username, self.key, {"a": math.nan})
        with self.assertRaises(TypeError):
            CLIENT.set(self.username, self.key, {"a": {1, 2}})
        with self.assertRaises(DoesNotExist):
            CLIENT.get(self.username, self.key)


class MissingAndPartialTest(unittest.TestCase):
    def setUp(self):
        self.username = unique("learner")
        self.course = new_course()
        self.keys = [block_key(self.course, "problem", "p{}".format(index)) for index in range(3)]

    def test_get_of_a_block_without_state_raises_does_not_exist(self):
        with self.assertRaises(DoesNotExist):
            CLIENT.get(self.username, self.keys[0])
        with self.assertRaises(CLIENT.DoesNotExist):
            CLIENT.get(self.username, self.keys[0], fields=[])

    def test_get_of_a_deleted_block_raises_does_not_exist(self):
        CLIENT.set(self.username, self.keys[0], {"a": 1})
        CLIENT.delete(self.username, self.keys[0])
        with self.assertRaises(DoesNotExist):
            CLIENT.get(self.username, self.keys[0])

    def test_get_many_skips_missing_blocks_and_keeps_request_order(self):
        CLIENT.set_many(self.username, {self.keys[0]: {"n": 0}, self.keys[1]: {"n": 1}, self.keys[2]: {"n": 2}})
        missing = block_key(self.course, "problem", "missing")
        order = [self.keys[2], missing, self.keys[0], self.keys[1], self.keys[0]]
        got = list(CLIENT.get_many(self.username, order))
        self.assertEqual([state.block_key for state in got], [self.keys[2], self.keys[0], self.keys[1]])
        self.assertEqual([state.state for state in got], [{"n": 2}, {"n": 0}, {"n": 1}])
        self.assertEqual(list(CLIENT.get_many(self.username, [missing])), [])
        self.assertEqual(list(CLIENT.get_many(self.username, [])), [])

    def test_fields_none_means_every_field_and_empty_means_none(self):
        CLIENT.set(self.username, self.keys[0], {"a": 1, "b": 2, "c": 3})
        self.assertEqual(CLIENT.get(self.username, self.keys[0], fields=None).state, {"a": 1, "b": 2, "c": 3})
        self.assertEqual(CLIENT.get(self.username, self.keys[0], fields=["a", "c", "absent"]).state, {"a": 1, "c": 3})
        self.assertEqual(CLIENT.get(self.username, self.keys[0], fields=("absent",)).state, {})
        # An empty selection still says the block exists.
        self.assertEqual(CLIENT.get(self.username, self.keys[0], fields=[]).state, {})
        self.assertEqual([state.state for state in CLIENT.get_many(self.username, self.keys, fields=[])], [{}])
        with self.assertRaises(TypeError):
            CLIENT.get(self.username, self.keys[0], fields="a")

    def test_delete_of_fields_then_of_whole_blocks(self):
        CLIENT.set_many(self.username, {key: {"a": 1, "b": 2, "c": 3} for key in self.keys})

        CLIENT.delete(self.username, self.keys[0], fields=["a", "never-set"])
        self.assertEqual(CLIENT.get(self.username, self.keys[0]).state, {"b": 2, "c": 3})
        CLIENT.delete(self.username, self.keys[0], fields=[])
        self.assertEqual(CLIENT.get(self.username, self.keys[0]).state, {"b": 2, "c": 3})
        # Removing the last fields removes the block.
        CLIENT.delete(self.username, self.keys[0], fields=["b", "c"])
        with self.assertRaises(DoesNotExist):
            CLIENT.get(self.username, self.keys[0])

        CLIENT.delete(self.username, self.keys[1])
        self.assertEqual([state.block_key for state in CLIENT.get_many(self.username, self.keys)], [self.keys[2]])
        CLIENT.delete_many(self.username, self.keys + [block_key(self.course, "html", "never-written")])
        self.assertEqual(list(CLIENT.get_many(self.username, self.keys)), [])
        CLIENT.delete_many(self.username, self.keys)  # again: nothing to do, no error

    def test_delete_many_of_selected_fields(self):
        CLIENT.set_many(self.username, {self.keys[0]: {"a": 1, "b": 2}, self.keys[1]: {"a": 1}})
        CLIENT.delete_many(self.username, self.keys[:2], fields=["a"])
        self.assertEqual([(state.block_key, state.state) for state in CLIENT.get_many(self.username, self.keys)], [(self.keys[0], {"b": 2})])


class ModDateTest(unittest.TestCase):
    def test_each_field_has_its_own_modification_time(self):
        username, key = unique("learner"), block_key(new_course(), "problem", "q")
        CLIENT.set(username, key, {"a": 1, "b": 1})
        first = CLIENT.get_mod_date(username, key)
        time.sleep(0.01)
        CLIENT.set(username, key, {"b": 2})
        dates = CLIENT.get_mod_date(username, key)

        self.assertEqual(sorted(dates), ["a", "b"])
        self.assertEqual(dates["a"], first["a"])
        self.assertGreater(dates["b"], dates["a"])
        self.assertTrue(all(date.tzinfo is not None and date.utcoffset() == datetime.timedelta(0) for date in dates.values()))
        self.assertEqual(CLIENT.get(username, key).updated, dates["b"])
        self.assertEqual(CLIENT.get_mod_date(username, key, fields=["a", "absent"]), {"a": dates["a"]})
        self.assertEqual(CLIENT.get_mod_date(username, key, fields=[]), {})
        self.assertEqual(CLIENT.get_mod_date(username, block_key(new_course(), "problem", "never")), {})


class HistoryTest(unittest.TestCase):
    def test_history_is_newest_first_with_none_for_deletions(self):
        username, key = unique("learner"), block_key(new_course(), "problem", "q")
        CLIENT.set(username, key, {"a": 1})
        CLIENT.set(username, key, {"b": 2})
        CLIENT.delete(username, key, fields=["a"])
        CLIENT.delete(username, key)
        CLIENT.set(username, key, {"c": 3})

        history = list(CLIENT.get_history(username, key))
        self.assertEqual([entry.state for entry in history], [{"c": 3}, None, {"b": 2}, {"a": 1, "b": 2}, {"a": 1}])
        self.assertTrue(all(entry.username == username and entry.block_key == key for entry in history))
        times = [entry.updated for entry in history]
        self.assertEqual(times, sorted(times, reverse=True))
        self.assertEqual(history[0].updated, CLIENT.get(username, key).updated)

    def test_history_survives_deletion_and_tells_empty_state_from_none(self):
        username, key = unique("learner"), block_key(new_course(), "problem", "q")
        CLIENT.set(username, key, {})
        CLIENT.delete(username, key)
        self.assertEqual([entry.state for entry in CLIENT.get_history(username, key)], [None, {}])

    def test_long_history_comes_whole_and_exact(self):
        # Over one message of the server's default size (100): the client reads messages of up to 1,000.
        username, key = unique("learner"), block_key(new_course(), "problem", "q")
        for write in range(150):
            CLIENT.set(username, key, {"n": write, "big": 12345678901234567890 + write, "x": 1.5})
        states = [entry.state for entry in CLIENT.get_history(username, key)]
        self.assertEqual(states, [{"n": write, "big": 12345678901234567890 + write, "x": 1.5} for write in reversed(range(150))])

    def test_history_of_a_block_never_written_raises_does_not_exist_at_once(self):
        with self.assertRaises(DoesNotExist) as caught:
            CLIENT.get_history(unique("learner"), block_key(new_course(), "problem", "q"))
        self.assertEqual(caught.exception.code, "NOT_FOUND")
        self.assertEqual(caught.exception.reason, "STATE_NOT_FOUND")


class ManyBlocksTest(unittest.TestCase):
    def test_set_many_and_get_many_over_the_per_call_limits(self):
        username, course = unique("learner"), new_course()
        keys = [block_key(course, "problem", "b{:04d}".format(index)) for index in range(2500)]
        CLIENT.set_many(username, {key: {"index": index, "half": index / 2} for index, key in enumerate(keys)})

        asked = list(reversed(keys))
        asked[10:10] = [block_key(course, "problem", "missing{}".format(index)) for index in range(5)]
        got = list(CLIENT.get_many(username, asked))
        self.assertEqual([state.block_key for state in got], list(reversed(keys)))
        self.assertEqual([state.state for state in got], [{"index": index, "half": index / 2} for index in reversed(range(2500))])
        self.assertTrue(all(type(state.state["index"]) is int for state in got))

        # Reads split into calls of max_read_blocks keep the order too.
        with LearnerStateClient(SERVER.target, max_read_blocks=700) as small:
            self.assertEqual([state.block_key for state in small.get_many(username, keys)], keys)
        CLIENT.delete_many(username, keys[:1500])
        self.assertEqual([state.block_key for state in CLIENT.get_many(username, keys)], keys[1500:])


class IterAllTest(unittest.TestCase):
    def rows(self, states):
        return [(state.username, state.block_key) for state in states]

    def test_iter_all_for_course_with_block_type_and_batch_size(self):
        course, other = new_course(), new_course()
        alice, bob, carol = unique("alice"), unique("bob"), unique("carol")
        problem, video, html = (block_key(course, "problem", "p1"), block_key(course, "video", "v1"), block_key(course, "html", "h1"))
        CLIENT.set_many(alice, {problem: {"a": 1}, video: {"a": 2}, block_key(other, "problem", "p1"): {"a": 3}})
        CLIENT.set_many(bob, {problem: {"b": 1}, html: {"b": 2}})
        CLIENT.set(carol, video, {"c": 1})
        CLIENT.delete(bob, html)

        everything = list(CLIENT.iter_all_for_course(course))
        self.assertEqual(self.rows(everything), [(alice, problem), (alice, video), (bob, problem), (carol, video)])
        self.assertEqual([state.state for state in everything], [{"a": 1}, {"a": 2}, {"b": 1}, {"c": 1}])
        self.assertTrue(all(isinstance(state.updated, datetime.datetime) for state in everything))
        for batch_size in (1, 3, 1000):
            self.assertEqual(self.rows(CLIENT.iter_all_for_course(course, batch_size=batch_size)), self.rows(everything))
        self.assertEqual(self.rows(CLIENT.iter_all_for_course(course, block_type="problem", batch_size=1)), [(alice, problem), (bob, problem)])
        self.assertEqual(self.rows(CLIENT.iter_all_for_course(course, block_type="video")), [(alice, video), (carol, video)])
        self.assertEqual(list(CLIENT.iter_all_for_course(course, block_type="html")), [])

    def test_iter_all_for_block_lists_learners_in_creation_order(self):
        key = block_key(new_course(), "problem", "p")
        learners = [unique("l{}".format(index)) for index in range(5)]
        for username in learners:
            CLIENT.set(username, key, {"who": username})
        CLIENT.delete(learners[2], key)
        got = list(CLIENT.iter_all_for_block(key, batch_size=2))
        self.assertEqual([state.username for state in got], learners[:2] + learners[3:])
        self.assertTrue(all(state.state == {"who": state.username} and state.block_key == key for state in got))

    def test_iter_all_refuses_bad_arguments_without_retrying(self):
        with self.assertRaises(InvalidArgument) as caught:
            list(CLIENT.iter_all_for_course("not a course key"))
        self.assertEqual(caught.exception.reason, "INVALID_COURSE_KEY")
        with self.assertRaises(ValueError):
            list(CLIENT.iter_all_for_block(block_key(new_course(), "problem", "p"), batch_size=-1))

    def test_iterators_resume_after_a_broken_connection(self):
        course = new_course()
        learners = [unique("l{}".format(index)) for index in range(4)]
        for username in learners:
            CLIENT.set_many(username, {block_key(course, "problem" if index % 2 else "html", "b{}".format(index)): {"u": username}
                                       for index in range(60)})
        expected = [(state.username, state.block_key, state.state) for state in CLIENT.iter_all_for_course(course, batch_size=1000)]
        self.assertEqual(len(expected), 240)

        proxy = TcpProxy("127.0.0.1", SERVER.process.port)
        try:
            # The first connection breaks after ~10 kB, a few messages of 7 rows into the stream.
            proxy.cut_next_connection_after(10000)
            with LearnerStateClient(proxy.target) as client:
                got = [(state.username, state.block_key, state.state) for state in client.iter_all_for_course(course, batch_size=7)]
            self.assertEqual(proxy.cuts, 1)
            self.assertGreaterEqual(proxy.connections, 2)
            self.assertEqual(got, expected)

            # With no retries allowed, the same break is an error.
            proxy.cut_next_connection_after(10000)
            with LearnerStateClient(proxy.target, max_resume_attempts=0) as client:
                received = []
                with self.assertRaises(ServiceUnavailable):
                    for state in client.iter_all_for_course(course, batch_size=7):
                        received.append(state)
                self.assertLess(len(received), 240)

            # A server that stays away makes the iterator give up after its retries.
            proxy.cut()
            with LearnerStateClient(proxy.target, max_resume_attempts=2, reconnect_timeout=1.0) as client:
                connections, started = proxy.connections, time.monotonic()
                with self.assertRaises(ServiceUnavailable):
                    list(client.iter_all_for_block(block_key(course, "problem", "b1")))
                self.assertLess(time.monotonic() - started, 6)
                # It really tried again: grpc reconnected while the iterator waited.
                self.assertGreaterEqual(proxy.connections - connections, 2)
        finally:
            proxy.close()


class InvalidArgumentTest(unittest.TestCase):
    def test_a_bad_block_key_is_invalid_argument(self):
        with self.assertRaises(InvalidArgument) as caught:
            CLIENT.set(unique("learner"), "not a usage key", {"a": 1})
        error = caught.exception
        self.assertIsInstance(error, ValueError)
        self.assertEqual((error.code, error.reason, error.domain), ("INVALID_ARGUMENT", "INVALID_USAGE_KEY", "learnerstate"))
        self.assertIn("field", error.metadata)

    def test_a_scope_the_call_does_not_serve_is_invalid_argument(self):
        with self.assertRaises(InvalidArgument) as caught:
            list(CLIENT.iter_all_for_course(new_course(), scope=Scope.PREFERENCES))
        self.assertEqual(caught.exception.reason, "UNSUPPORTED_SCOPE")
        with self.assertRaises(ValueError):
            CLIENT.get(unique("learner"), block_key(new_course(), "problem", "p"), scope="no such scope")


class ScopesTest(unittest.TestCase):
    def test_preferences_are_shared_by_every_block_of_a_type_in_any_spelling_of_the_scope(self):
        username = unique("learner")
        first, second = block_key(new_course(), "video", "v1"), block_key(new_course(), "video", "v2")
        CLIENT.set(username, first, {"speed": 1.5}, scope="preferences")
        CLIENT.set(username, second, {"volume": 3}, scope="SCOPE_PREFERENCES")
        for scope in (Scope.preferences, Scope.PREFERENCES, "preferences", 2):
            self.assertEqual(CLIENT.get(username, first, scope=scope).state, {"speed": 1.5, "volume": 3})
        with self.assertRaises(DoesNotExist):
            CLIENT.get(username, block_key(new_course(), "problem", "p1"), scope=Scope.PREFERENCES)
        with self.assertRaises(DoesNotExist):
            CLIENT.get(username, first)
        self.assertEqual([entry.state for entry in CLIENT.get_history(username, second, scope=Scope.PREFERENCES)],
                         [{"speed": 1.5, "volume": 3}, {"speed": 1.5}])
        self.assertEqual([row.username for row in CLIENT.iter_all_for_block(second, scope=Scope.PREFERENCES) if row.username == username], [username])

    def test_user_info_is_shared_by_every_block_of_a_learner(self):
        username = unique("learner")
        CLIENT.set_many(username, {block_key(new_course(), "problem", "p1"): {"locale": "fr"}}, scope=Scope.user_info)
        states = list(CLIENT.get_many(username, [block_key(new_course(), "html", "h1"), "i4x://Org/Old/video/v1"], scope=Scope.USER_INFO))
        self.assertEqual([state.state for state in states], [{"locale": "fr"}, {"locale": "fr"}])
        with self.assertRaises(DoesNotExist):
            CLIENT.get(unique("other"), block_key(new_course(), "html", "h1"), scope=Scope.USER_INFO)

    def test_a_summary_is_shared_by_every_learner_and_belongs_to_none(self):
        course = new_course()
        poll = block_key(course, "poll", "p1")
        CLIENT.set(unique("alice"), poll, {"yes": 1}, scope=Scope.USER_STATE_SUMMARY)
        CLIENT.set(unique("bob"), poll, {"no": 2}, scope=Scope.USER_STATE_SUMMARY)
        reader = unique("reader")
        state = CLIENT.get(reader, poll, scope=Scope.user_state_summary)
        self.assertEqual((state.username, state.state), (reader, {"yes": 1, "no": 2}))
        self.assertEqual([(row.username, row.state) for row in CLIENT.iter_all_for_course(course, scope=Scope.USER_STATE_SUMMARY)], [("", {"yes": 1, "no": 2})])
        self.assertEqual({entry.username for entry in CLIENT.get_history(reader, poll, scope=Scope.USER_STATE_SUMMARY)}, {""})


class RetireLearnerTest(unittest.TestCase):
    def test_retirement_erases_every_scope_and_reports_zero_when_repeated(self):
        username, other = unique("gone"), unique("kept")
        course = new_course()
        problem, video = block_key(course, "problem", "p1"), block_key(course, "video", "v1")
        for learner in (username, other):
            CLIENT.set_many(learner, {problem: {"attempts": 1}, video: {"position": 30}})
            CLIENT.set(learner, problem, {"attempts": 2})
            CLIENT.set(learner, video, {"speed": 2}, scope=Scope.PREFERENCES)
            CLIENT.set(learner, video, {"locale": "fr"}, scope=Scope.USER_INFO)
        self.assertEqual(CLIENT.retire_learner(username), LearnerErasure(user_states=2, preferences=1, user_infos=1, history_entries=5))
        for scope in (Scope.USER_STATE, Scope.PREFERENCES, Scope.USER_INFO):
            self.assertEqual(list(CLIENT.get_many(username, [problem, video], scope=scope)), [])
            with self.assertRaises(DoesNotExist):
                CLIENT.get_history(username, video, scope=scope)
        self.assertEqual(sorted(row.username for row in CLIENT.iter_all_for_course(course)), [other, other])
        self.assertEqual(CLIENT.get(other, problem).state, {"attempts": 2})
        self.assertEqual(CLIENT.retire_learner(username), LearnerErasure(0, 0, 0, 0))

if __name__ == "__main__":
    unittest.main()

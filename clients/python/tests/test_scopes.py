"""Every XBlock scope, and learner retirement, against a real server in development mode."""

import unittest

from server_fixture import Server, block_key, unique

from learnerstate_client import DoesNotExist, LearnerErasure, LearnerStateClient, Scope

SERVER = None
CLIENT = None


def setUpModule():
    global SERVER, CLIENT
    SERVER = Server()
    CLIENT = LearnerStateClient(SERVER.target, timeout=30)


def tearDownModule():
    CLIENT.close()
    code = SERVER.stop()
    if code != 0:
        raise AssertionError("the server exited with {} after SIGTERM:\n{}".format(code, "\n".join(SERVER.process.output[-30:])))


def new_course():
    return "course-v1:{}+Scopes+2026".format(unique("Org"))


class XBlockScope:
    """Stands for an xblock.fields.Scope, which the client knows by its name."""

    def __init__(self, name):
        self.name = name


class ScopesTest(unittest.TestCase):
    def test_preferences_are_shared_by_every_block_of_a_type_in_any_spelling_of_the_scope(self):
        username = unique("learner")
        first, second = block_key(new_course(), "video", "v1"), block_key(new_course(), "video", "v2")
        CLIENT.set(username, first, {"speed": 1.5}, scope=XBlockScope("preferences"))
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

"""The client against a server that requires HS256 bearer tokens."""

import unittest

from server_fixture import Server, block_key, mint_token, unique

from learnerstate_client import LearnerStateClient, PermissionDenied

SECRET = "python-client-test-secret-0123456789abcdef"
ISSUER = "https://lms.example/oauth2"
AUDIENCE = "learnerstate"

SERVER = None
ORG_X, ORG_Y = unique("OrgX"), unique("OrgY")
COURSE_X, COURSE_Y = "course-v1:{}+CX+2026".format(ORG_X), "course-v1:{}+CY+2026".format(ORG_Y)
ALICE, BOB, STAFF, ADMIN = unique("alice"), unique("bob"), unique("staff"), unique("admin")
KEY_X, KEY_Y = block_key(COURSE_X, "problem", "p1"), block_key(COURSE_Y, "problem", "p1")


READ, WRITE, BULK_READ = "learner_state:read", "learner_state:write", "learner_state:bulk_read"


def token(claims, **options):
    return mint_token(claims, options.pop("secret", SECRET), ISSUER, AUDIENCE, **options)


def client(bearer):
    return LearnerStateClient(SERVER.target, token=bearer, timeout=20)


def setUpModule():
    global SERVER
    SERVER = Server(env={"JWT_SECRET": SECRET, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE})
    with client(token({"preferred_username": ADMIN, "administrator": True})) as admin:
        for username in (ALICE, BOB):
            admin.set_many(username, {KEY_X: {"seed": 1}, KEY_Y: {"seed": 2}})


def tearDownModule():
    code = SERVER.stop()
    if code != 0:
        raise AssertionError("the server exited with {} after SIGTERM".format(code))


class LearnerTokenTest(unittest.TestCase):
    def setUp(self):
        # An application the learner authorized for their own state: scopes grant, user:me narrows.
        self.alice = client(token({"sub": "1", "preferred_username": ALICE, "scopes": [READ, WRITE], "filters": ["user:me"]}))
        self.addCleanup(self.alice.close)

    def test_a_learner_reads_and_writes_their_own_state(self):
        self.alice.set(ALICE, KEY_X, {"answer": "choice_2", "attempts": 3})
        self.assertEqual(self.alice.get(ALICE, KEY_X).state, {"seed": 1, "answer": "choice_2", "attempts": 3})
        self.assertEqual(sorted(self.alice.get_mod_date(ALICE, KEY_X)), ["answer", "attempts", "seed"])
        self.assertGreaterEqual(len(list(self.alice.get_history(ALICE, KEY_X))), 2)
        self.alice.delete(ALICE, KEY_X, fields=["answer", "attempts"])
        self.assertEqual(self.alice.get(ALICE, KEY_X).state, {"seed": 1})

    def test_another_learners_state_is_permission_denied(self):
        with self.assertRaises(PermissionDenied) as caught:
            self.alice.get(BOB, KEY_X)
        self.assertEqual(caught.exception.code, "PERMISSION_DENIED")
        self.assertEqual(caught.exception.reason, "PERMISSION_DENIED")
        with self.assertRaises(LearnerStateClient.PermissionDenied):
            self.alice.set(BOB, KEY_X, {"seed": 666})
        with self.assertRaises(PermissionDenied):
            self.alice.delete(BOB, KEY_X)
        with self.assertRaises(PermissionDenied):
            self.alice.get_history(BOB, KEY_X)
        with self.assertRaises(PermissionDenied):
            self.alice.get_mod_date(BOB, KEY_X)
        with self.assertRaises(PermissionDenied):
            list(self.alice.iter_all_for_course(COURSE_X))
        with client(token({"preferred_username": BOB, "scopes": [READ], "filters": ["user:me"]})) as bob:
            self.assertEqual(bob.get(BOB, KEY_X).state, {"seed": 1})

    def test_the_learners_browser_jwt_is_refused_even_for_their_own_state(self):
        browser = token({"sub": "1", "preferred_username": ALICE, "scopes": ["read", "write", "email", "profile"], "filters": ["user:me"]})
        with client(browser) as learner:
            with self.assertRaises(PermissionDenied) as caught:
                learner.get(ALICE, KEY_X)
            self.assertEqual(caught.exception.code, "PERMISSION_DENIED")
            with self.assertRaises(PermissionDenied):
                learner.set(ALICE, KEY_X, {"score": 100})
            with self.assertRaises(PermissionDenied):
                learner.delete(ALICE, KEY_X)

    def test_a_read_only_token_cannot_write(self):
        with client(token({"preferred_username": ALICE, "scopes": [READ], "filters": ["user:me"]})) as reader:
            self.assertEqual(reader.get(ALICE, KEY_Y).state, {"seed": 2})
            with self.assertRaises(PermissionDenied):
                reader.set(ALICE, KEY_Y, {"seed": 3})

    def test_the_token_may_come_from_a_callable(self):
        calls = []

        def current_token():
            calls.append(1)
            return token({"preferred_username": ALICE, "scopes": [READ], "filters": ["user:me"]})

        with LearnerStateClient(SERVER.target, token=current_token) as refreshing:
            self.assertEqual(refreshing.get(ALICE, KEY_Y).state, {"seed": 2})
            self.assertEqual(refreshing.get(ALICE, KEY_Y).state, {"seed": 2})
        self.assertEqual(len(calls), 2)


class BadTokenTest(unittest.TestCase):
    def assert_unauthenticated(self, bearer):
        with client(bearer) as anonymous:
            with self.assertRaises(PermissionDenied) as caught:
                anonymous.get(ALICE, KEY_X)
        self.assertEqual(caught.exception.code, "UNAUTHENTICATED")

    def test_no_token(self):
        self.assert_unauthenticated(None)

    def test_a_token_signed_with_another_secret(self):
        self.assert_unauthenticated(token({"preferred_username": ALICE}, secret="not-the-servers-secret-0123456789abcdef"))

    def test_an_expired_token(self):
        self.assert_unauthenticated(token({"preferred_username": ALICE}, expires_in=-600))

    def test_not_a_token(self):
        self.assert_unauthenticated("garbage")


class StaffTokenTest(unittest.TestCase):
    def test_course_staff_read_and_iterate_their_course_only(self):
        staff_token = token({"preferred_username": STAFF, "scopes": [READ, BULK_READ], "filters": ["course:" + COURSE_X]})
        with client(staff_token) as staff:
            self.assertEqual(staff.get(ALICE, KEY_X).state["seed"], 1)
            usernames = {state.username for state in staff.iter_all_for_course(COURSE_X)}
            self.assertTrue({ALICE, BOB} <= usernames)
            with self.assertRaises(PermissionDenied):
                staff.get(ALICE, KEY_Y)
            with self.assertRaises(PermissionDenied):
                list(staff.iter_all_for_course(COURSE_Y))
            with self.assertRaises(PermissionDenied):
                staff.set(ALICE, KEY_X, {"seed": 0})


if __name__ == "__main__":
    unittest.main()

"""ServiceUnavailable: nothing listening, a server that never answers, a database that goes away."""

import time
import unittest
import urllib.parse

from server_fixture import Server, TcpProxy, block_key, free_port, postgres_admin_url, unique, with_host_port

from learnerstate_client import LearnerStateClient, ServiceUnavailable

KEY = "block-v1:edX+DemoX+2026+type@problem+block@q1"


class NothingListeningTest(unittest.TestCase):
    def test_every_call_raises_service_unavailable(self):
        with LearnerStateClient("127.0.0.1:{}".format(free_port()), timeout=10, max_resume_attempts=2, reconnect_timeout=1.0) as client:
            calls = [
                lambda: client.get("alice", KEY),
                lambda: client.set("alice", KEY, {"a": 1}),
                lambda: client.delete("alice", KEY),
                lambda: client.get_mod_date("alice", KEY),
                lambda: client.get_history("alice", KEY),
                lambda: list(client.iter_all_for_course("course-v1:edX+DemoX+2026")),
            ]
            for call in calls:
                started = time.monotonic()
                with self.assertRaises(ServiceUnavailable) as caught:
                    call()
                self.assertEqual(caught.exception.code, "UNAVAILABLE")
                self.assertIsInstance(caught.exception, LearnerStateClient.ServiceUnavailable)
                self.assertLess(time.monotonic() - started, 8)


class NoAnswerTest(unittest.TestCase):
    def test_a_deadline_that_passes_raises_service_unavailable(self):
        proxy = TcpProxy("127.0.0.1", free_port())
        proxy.mode = "blackhole"
        try:
            with LearnerStateClient(proxy.target, timeout=0.5) as client:
                started = time.monotonic()
                with self.assertRaises(ServiceUnavailable) as caught:
                    client.get("alice", KEY)
                self.assertEqual(caught.exception.code, "DEADLINE_EXCEEDED")
                self.assertLess(time.monotonic() - started, 5)
        finally:
            proxy.close()


class DatabaseOutageTest(unittest.TestCase):
    """A server whose PostgreSQL connections go through a proxy the test cuts."""

    @classmethod
    def setUpClass(cls):
        admin = postgres_admin_url()
        if not admin:
            raise unittest.SkipTest("needs PostgreSQL: the embedded database cannot be cut off")
        from server_fixture import Database
        cls.database = Database()
        parts = urllib.parse.urlsplit(cls.database.url)
        cls.proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
        try:
            cls.server = Server(env={"BREAKER_FAILURE_THRESHOLD": "3", "BREAKER_HALF_OPEN_AFTER_MS": "500", "DB_CONNECT_TIMEOUT_MS": "1000"},
                                database_url=with_host_port(cls.database.url, "127.0.0.1", cls.proxy.port))
        except Exception:
            cls.proxy.close()
            cls.database.drop()
            raise
        cls.client = LearnerStateClient(cls.server.target, timeout=10)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        code = cls.server.stop()
        cls.proxy.close()
        cls.database.drop()
        if code != 0:
            raise AssertionError("the server exited with {} after SIGTERM".format(code))

    def test_service_unavailable_while_the_database_is_gone_then_healed(self):
        username, key = unique("learner"), block_key("course-v1:{}+Outage+2026".format(unique("Org")), "problem", "p")
        self.client.set(username, key, {"kept": 1})

        self.proxy.cut()
        reasons, hints = set(), 0
        try:
            for _ in range(6):
                started = time.monotonic()
                with self.assertRaises(ServiceUnavailable) as caught:
                    self.client.get(username, key)
                self.assertLess(time.monotonic() - started, 5)
                reasons.add(caught.exception.reason)
                hints += caught.exception.retry_after is not None
            with self.assertRaises(ServiceUnavailable):
                self.client.set(username, key, {"lost": 1})
        finally:
            self.proxy.restore()
        self.assertTrue(reasons and all(reason and reason.startswith("STORE_") for reason in reasons), reasons)
        self.assertGreater(hints, 0, "the open breaker should say when to retry")

        deadline = time.monotonic() + 15
        while True:
            try:
                self.assertEqual(self.client.get(username, key).state, {"kept": 1})
                break
            except ServiceUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


if __name__ == "__main__":
    unittest.main()

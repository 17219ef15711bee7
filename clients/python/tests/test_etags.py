"""Etags against a real server: read with every state, returned by writes,
and taken as conditions by writes (StateChanged, nothing written, when one
fails), including a read-modify-write loop raced from two threads."""

import threading
import unittest

from server_fixture import Server, block_key, stop_cleanly, unique

from learnerstate_client import (DoesNotExist, LearnerStateClient, LearnerStateError, OutcomeUnknown, Scope, ServiceUnavailable,
                                 StateChanged)
from learnerstate_client.aio import AsyncLearnerStateClient

SERVER = None
CLIENT = None


def setUpModule():
    global SERVER, CLIENT
    SERVER = Server()
    CLIENT = LearnerStateClient(SERVER.target, timeout=30)


def tearDownModule():
    stop_cleanly(SERVER, CLIENT)


def new_course():
    return "course-v1:{}+Etag+2026".format(unique("Org"))


class FakeUsageKey:
    """Stands for an opaque-keys UsageKey: the client sends str(key)."""

    def __init__(self, text):
        self.text = text

    def __str__(self):
        return self.text


def increment(client, username, key, counter):
    """The XBlock way to add one to a field: read, modify, write if nobody wrote since, else again.

    Counts the retries in ``counter["retries"]``.
    """
    while True:
        try:
            current = client.get(username, key)
            state, etag = current.state, current.etag
        except DoesNotExist:
            state, etag = {}, ""  # "": write only if there is still no state
        try:
            return client.set_with_etag(username, key, {"count": state.get("count", 0) + 1}, etag=etag)
        except StateChanged:
            counter["retries"] += 1


class EtagTest(unittest.TestCase):
    def setUp(self):
        self.username = unique("learner")
        self.course = new_course()
        self.key = block_key(self.course, "problem", "q1")

    def test_reads_carry_the_etag_that_writes_return(self):
        written = CLIENT.set_with_etag(self.username, self.key, {"a": 1, "b": 2})
        self.assertIsInstance(written, str)
        self.assertTrue(written)
        state = CLIENT.get(self.username, self.key)
        self.assertEqual(state.etag, written)
        self.assertEqual(CLIENT.get(self.username, self.key, fields=[]).etag, written)
        self.assertEqual([row.etag for row in CLIENT.get_many(self.username, [self.key])], [written])
        self.assertEqual([row.etag for row in CLIENT.iter_all_for_course(self.course)], [written])
        self.assertEqual([row.etag for row in CLIENT.iter_all_for_block(self.key)], [written])
        # The etag is beside the edx-platform tuple, not in it.
        username, key, values, updated, scope = state
        self.assertEqual(len(state), 5)
        self.assertEqual(state._replace(state={}).etag, written)
        self.assertIsNone(next(iter(CLIENT.get_history(self.username, self.key))).etag)

        again = CLIENT.set_with_etag(self.username, self.key, {"a": 1})  # the same value: still a new version
        self.assertNotEqual(again, written)
        self.assertEqual(CLIENT.get(self.username, self.key).etag, again)

    def test_set_many_with_etags_answers_under_the_keys_passed(self):
        first, second = FakeUsageKey(self.key), FakeUsageKey(block_key(self.course, "problem", "q2"))
        etags = CLIENT.set_many_with_etags(self.username, {first: {"a": 1}, second: {"b": 2}})
        self.assertEqual(set(etags), {first, second})
        self.assertNotEqual(etags[first], etags[second])
        self.assertEqual({str(row.block_key): row.etag for row in CLIENT.get_many(self.username, [first, second])},
                         {str(first): etags[first], str(second): etags[second]})
        # Every key of one block type reaches the same preferences state, so the same etag.
        preferences = CLIENT.set_many_with_etags(self.username, {self.key: {"p": 1}, block_key(self.course, "problem", "other"): {"q": 2}},
                                                 scope=Scope.PREFERENCES)
        self.assertEqual(len(set(preferences.values())), 1)
        self.assertIsNone(CLIENT.set_many(self.username, {self.key: {"a": 2}}, etags={self.key: CLIENT.get(self.username, self.key).etag}))

    def test_a_stale_etag_raises_state_changed_with_the_current_etag_and_writes_nothing(self):
        other = block_key(self.course, "problem", "q2")
        stale = CLIENT.set_with_etag(self.username, self.key, {"attempts": 1})
        current = CLIENT.set_with_etag(self.username, self.key, {"attempts": 2})
        with self.assertRaises(StateChanged) as caught:
            CLIENT.set_many(self.username, {self.key: {"attempts": 99}, other: {"b": 1}}, etags={self.key: stale})
        error = caught.exception
        self.assertEqual(error.current_etags, {self.key: current})
        self.assertEqual((error.code, error.reason, error.changed_count), ("ABORTED", "STATE_CHANGED", 1))
        self.assertIsInstance(error, LearnerStateError)
        self.assertNotIsInstance(error, ServiceUnavailable)  # not an OutcomeUnknown: retrying blindly would fail again
        self.assertNotIsInstance(error, OutcomeUnknown)
        self.assertIs(LearnerStateClient.StateChanged, StateChanged)
        self.assertEqual(CLIENT.get(self.username, self.key).state, {"attempts": 2})
        self.assertEqual(list(CLIENT.get_many(self.username, [other])), [])  # atomic: the unconditioned block was not written either

        # "": only if there is no state.
        with self.assertRaises(StateChanged) as caught:
            CLIENT.set(self.username, self.key, {"attempts": 0}, etag="")
        self.assertEqual(caught.exception.current_etags, {self.key: current})
        created = CLIENT.set_with_etag(self.username, other, {"b": 1}, etag="")
        self.assertEqual(CLIENT.get(self.username, other).etag, created)

    def test_deletes_take_etags_too(self):
        other = block_key(self.course, "problem", "q2")
        stale = CLIENT.set_with_etag(self.username, self.key, {"a": 1, "b": 2})
        current = CLIENT.set_with_etag(self.username, self.key, {"a": 3})
        with self.assertRaises(StateChanged) as caught:
            CLIENT.delete(self.username, self.key, fields=["a"], etag=stale)
        self.assertEqual(caught.exception.current_etags, {self.key: current})
        self.assertEqual(CLIENT.get(self.username, self.key).state, {"a": 3, "b": 2})
        CLIENT.delete_many(self.username, [self.key, other], etags={self.key: current, other: ""})
        with self.assertRaises(DoesNotExist):
            CLIENT.get(self.username, self.key)
        # A state deleted since: its current etag is "".
        with self.assertRaises(StateChanged) as caught:
            CLIENT.set(self.username, self.key, {"a": 1}, etag=current)
        self.assertEqual(caught.exception.current_etags, {self.key: ""})

    def test_etags_of_blocks_the_call_does_not_write_are_refused(self):
        with self.assertRaises(ValueError):
            CLIENT.set_many(self.username, {self.key: {"a": 1}}, etags={block_key(self.course, "problem", "nope"): "x"})
        with self.assertRaises(ValueError):
            CLIENT.delete_many(self.username, [self.key], etags={block_key(self.course, "problem", "nope"): "x"})
        with self.assertRaises(TypeError):
            CLIENT.set(self.username, self.key, {"a": 1}, etag=123)
        with self.assertRaises(DoesNotExist):
            CLIENT.get(self.username, self.key)

    def test_a_read_modify_write_loop_from_two_threads_applies_every_increment(self):
        per_thread = 25
        counter = {"retries": 0}
        failures = []

        def work():
            with LearnerStateClient(SERVER.target, timeout=30) as client:
                try:
                    for _ in range(per_thread):
                        increment(client, self.username, self.key, counter)
                except Exception as error:  # reported below, on the test's thread
                    failures.append(error)

        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertEqual(failures, [])
        self.assertEqual(CLIENT.get(self.username, self.key).state, {"count": 2 * per_thread})
        history = list(CLIENT.get_history(self.username, self.key))
        self.assertEqual(len(history), 2 * per_thread)  # one write per increment: conflicts wrote nothing


class AsyncEtagTest(unittest.IsolatedAsyncioTestCase):
    async def test_the_asyncio_client_reads_and_writes_with_etags(self):
        username, key = unique("learner"), block_key(new_course(), "problem", "q1")
        async with AsyncLearnerStateClient(SERVER.target, timeout=30) as client:
            first = await client.set_with_etag(username, key, {"a": 1}, etag="")
            self.assertEqual((await client.get(username, key)).etag, first)
            second = (await client.set_many_with_etags(username, {key: {"a": 2}}, etags={key: first}))[key]
            with self.assertRaises(StateChanged) as caught:
                await client.set(username, key, {"a": 3}, etag=first)
            self.assertEqual(caught.exception.current_etags, {key: second})
            with self.assertRaises(StateChanged):
                await client.delete_many(username, [key], etags={key: first})
            await client.delete(username, key, etag=second)
            with self.assertRaises(DoesNotExist):
                await client.get(username, key)


if __name__ == "__main__":
    unittest.main()

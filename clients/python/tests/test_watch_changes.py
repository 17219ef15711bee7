"""watch_changes of both clients against real servers: changes in commit
order, a consumer that resumes from its stored token, iterators that ride out
a cut connection, a silent one and server restarts, and the typed errors.

Writes here come from one thread, one call after another, so their commit
order is the order they were made in.
"""

import asyncio
import dataclasses
import datetime
import threading
import time
import unittest

import grpc

from server_fixture import Server, TcpProxy, block_key, stop_cleanly, unique

from learnerstate_client import (ChangeBatch, ChangeFeedExpired, ChangeFeedLost, ChangeKind, InvalidArgument, LearnerStateClient, Scope,
                                 StateChange)
from learnerstate_client._user_state_calls import CHANNEL_OPTIONS
from learnerstate_client.aio import AsyncLearnerStateClient

READ_SECONDS = 30
SERVER = None
CLIENT = None


def setUpModule():
    global SERVER, CLIENT
    SERVER = Server()
    CLIENT = LearnerStateClient(SERVER.target, timeout=30)


def tearDownModule():
    stop_cleanly(SERVER, CLIENT)


def new_course():
    return "course-v1:{}+Watch+2026".format(unique("Org"))


def read_changes(batches, count, seconds=READ_SECONDS):
    """Reads ``batches`` until at least ``count`` changes came; returns them and the last token.

    The iterator stays open for more. Heartbeats (at least every 10 s) let the
    deadline be checked while nothing comes.
    """
    changes, token = [], None
    deadline = time.monotonic() + seconds
    if count == 0:
        return changes, token
    for batch in batches:
        changes.extend(batch.changes)
        token = batch.resume_token
        if len(changes) >= count:
            return changes, token
        if time.monotonic() > deadline:
            break
    raise AssertionError("{} of {} changes in {} s: {}".format(len(changes), count, seconds, changes))


def write_each(client, username, keys):
    """One SetMany call per key, in order."""
    for index, key in enumerate(keys):
        client.set(username, key, {"n": index})


def problem_keys(course, prefix, count):
    return [block_key(course, "problem", "{}{}".format(prefix, index)) for index in range(count)]


def keys_of(changes):
    return [change.block_key for change in changes]


class WatchTest(unittest.TestCase):
    def test_a_watch_from_now_sees_each_write_in_commit_order_and_nothing_of_another_course(self):
        course, other, learner = new_course(), new_course(), unique("learner")
        key, html = block_key(course, "problem", "p1"), block_key(course, "html", "h1")
        batches = CLIENT.watch_changes(course)
        first = next(batches)
        self.assertIsInstance(first, ChangeBatch)
        self.assertEqual(first.changes, ())
        self.assertTrue(first.resume_token)
        started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)

        CLIENT.set(learner, block_key(other, "problem", "x"), {"a": 1})
        CLIENT.set(learner, key, {"b": 2, "a": 1})
        CLIENT.delete(learner, key, fields=["a", "zz"])
        CLIENT.delete(learner, key)
        CLIENT.set(learner, html, {"c": 3})
        CLIENT.set(learner, html, {"views": 1}, scope=Scope.USER_STATE_SUMMARY)
        CLIENT.retire_learner(learner)
        changes, _ = read_changes(batches, 6)
        batches.close()

        self.assertEqual([(change.kind, change.username, change.block_key, change.block_type, change.scope, change.course_key, change.field_names)
                          for change in changes], [
            (ChangeKind.FIELDS_WRITTEN, learner, key, "problem", Scope.USER_STATE, course, ("a", "b")),
            (ChangeKind.FIELDS_DELETED, learner, key, "problem", Scope.USER_STATE, course, ("a",)),
            (ChangeKind.STATE_DELETED, learner, key, "problem", Scope.USER_STATE, course, ()),
            (ChangeKind.FIELDS_WRITTEN, learner, html, "html", Scope.USER_STATE, course, ("c",)),
            (ChangeKind.FIELDS_WRITTEN, "", html, "html", Scope.USER_STATE_SUMMARY, course, ("views",)),
            (ChangeKind.LEARNER_RETIRED, learner, "", "", None, course, ()),
        ])
        self.assertEqual(changes[0].kind, "fields_written")
        times = [change.update_time for change in changes]
        self.assertEqual(sorted(times), times)
        self.assertTrue(all(time_.tzinfo == datetime.timezone.utc and time_ > started for time_ in times))
        self.assertIsInstance(changes[0], StateChange)
        with self.assertRaises(dataclasses.FrozenInstanceError):
            changes[0].username = "mallory"

    def test_filters_leave_out_other_block_types_scopes_and_learners(self):
        course, learner = new_course(), unique("learner")
        key = block_key(course, "problem", "p1")
        batches = CLIENT.watch_changes(course, block_types=["problem"], scopes=[Scope.USER_STATE], username=learner)
        next(batches)
        CLIENT.set(learner, block_key(course, "html", "h1"), {"a": 1})
        CLIENT.set(unique("someone_else"), key, {"a": 1})
        CLIENT.set(learner, key, {"a": 1}, scope=Scope.USER_STATE_SUMMARY)
        CLIENT.set(learner, key, {"a": 1}, scope="preferences")
        CLIENT.set(learner, key, {"mine": 1})
        changes, _ = read_changes(batches, 1)
        batches.close()
        # Had a filtered change come, it would be first: it committed first.
        self.assertEqual([(change.username, change.block_key, change.field_names) for change in changes], [(learner, key, ("mine",))])

    def test_a_consumer_restarted_with_its_stored_token_sees_every_change_once(self):
        course, learner = new_course(), unique("learner")
        keys = problem_keys(course, "p", 40)
        batches = CLIENT.watch_changes(course)
        stored = next(batches).resume_token
        writer = threading.Thread(target=write_each, args=(CLIENT, learner, keys))
        writer.start()
        seen = []
        try:
            for batch in batches:
                seen.extend(keys_of(batch.changes))
                stored = batch.resume_token  # the checkpoint, once the batch is handled
                if len(seen) >= 10:
                    break
        finally:
            batches.close()  # the consumer stops mid-stream
            writer.join()
        end = block_key(course, "problem", "end")
        CLIENT.set(learner, end, {"n": "end"})

        resumed = CLIENT.watch_changes(course, resume_token=stored)
        rest, _ = read_changes(resumed, len(keys) + 1 - len(seen))
        resumed.close()
        self.assertEqual(seen + keys_of(rest), keys + [end])

    def test_a_token_from_before_replays_the_same_changes(self):
        course, learner = new_course(), unique("learner")
        keys = problem_keys(course, "p", 3)
        batches = CLIENT.watch_changes(course)
        token = next(batches).resume_token
        write_each(CLIENT, learner, keys)
        first, _ = read_changes(batches, 3)
        batches.close()
        again = CLIENT.watch_changes(course, resume_token=token)
        second, _ = read_changes(again, 3)
        again.close()
        self.assertEqual(second, first)
        self.assertEqual(keys_of(first), keys)

    def test_the_iterator_resumes_by_itself_after_its_connection_is_cut(self):
        course, learner = new_course(), unique("learner")
        before, after = problem_keys(course, "before", 10), problem_keys(course, "after", 10)
        proxy = TcpProxy("127.0.0.1", SERVER.process.port)
        try:
            with LearnerStateClient(proxy.target, max_resume_attempts=20, reconnect_timeout=5) as watcher:
                batches = watcher.watch_changes(course)
                next(batches)
                write_each(CLIENT, learner, before)
                changes, _ = read_changes(batches, 5)
                proxy.cut()
                time.sleep(0.3)
                proxy.restore()
                write_each(CLIENT, learner, after)
                rest, _ = read_changes(batches, len(before) + len(after) - len(changes))
                batches.close()
        finally:
            proxy.close()
        self.assertEqual(keys_of(changes + rest), before + after)
        self.assertGreaterEqual(proxy.connections, 2)

    def test_a_connection_gone_silent_is_left_by_keepalive_and_the_watch_resumes(self):
        course, learner = new_course(), unique("learner")
        keys = problem_keys(course, "p", 3)
        proxy = TcpProxy("127.0.0.1", SERVER.process.port)
        # The client's channel options, with pings every second instead of every 30 s.
        options = dict(CHANNEL_OPTIONS)
        options.update({"grpc.keepalive_time_ms": 1000, "grpc.keepalive_timeout_ms": 1000})
        channel = grpc.insecure_channel(proxy.target, options=list(options.items()))
        try:
            watcher = LearnerStateClient(channel=channel, max_resume_attempts=20, reconnect_timeout=5)
            batches = watcher.watch_changes(course)
            next(batches)
            proxy.freeze()
            started = time.monotonic()
            write_each(CLIENT, learner, keys)
            changes, _ = read_changes(batches, 3)
            batches.close()
        finally:
            channel.close()
            proxy.close()
        self.assertEqual(keys_of(changes), keys)
        self.assertGreaterEqual(proxy.connections, 2)
        self.assertLess(time.monotonic() - started, 15)

    def test_an_altered_token_is_invalid_argument_at_once(self):
        course = new_course()
        batches = CLIENT.watch_changes(course)
        token = next(batches).resume_token
        batches.close()
        altered = token[:-3] + ("B" if token[-3] == "A" else "A") + token[-2:]
        started = time.monotonic()
        for course_key, resume_token in ((course, altered), (new_course(), token)):
            with self.assertRaises(InvalidArgument) as caught:
                next(CLIENT.watch_changes(course_key, resume_token=resume_token))
            self.assertEqual(caught.exception.reason, "INVALID_RESUME_TOKEN")
        self.assertLess(time.monotonic() - started, 5)

    def test_arguments_are_checked_before_any_call(self):
        with self.assertRaises(TypeError):
            CLIENT.watch_changes(new_course(), block_types="problem")
        with self.assertRaises(ValueError):
            CLIENT.watch_changes(new_course(), scopes=["no_such_scope"])


class AsyncWatchTest(unittest.IsolatedAsyncioTestCase):
    async def test_the_asyncio_client_watches_and_resumes_from_a_token(self):
        course, learner = new_course(), unique("learner")
        keys = problem_keys(course, "p", 4)
        async with AsyncLearnerStateClient(SERVER.target, timeout=30) as client:
            batches = client.watch_changes(course)
            first = await batches.__anext__()
            self.assertEqual(first.changes, ())
            for index, key in enumerate(keys[:2]):
                await client.set(learner, key, {"n": index})
            seen, stored = [], first.resume_token
            async for batch in batches:
                seen.extend(keys_of(batch.changes))
                stored = batch.resume_token
                if len(seen) >= 2:
                    break
            await batches.aclose()
            for index, key in enumerate(keys[2:]):
                await client.set(learner, key, {"n": index})
            rest = []
            resumed = client.watch_changes(course, resume_token=stored)
            async for batch in resumed:
                rest.extend(batch.changes)
                if len(seen) + len(rest) >= len(keys):
                    break
            await resumed.aclose()
        self.assertEqual(seen + keys_of(rest), keys)
        self.assertEqual([change.kind for change in rest], [ChangeKind.FIELDS_WRITTEN] * 2)


class RestartTest(unittest.TestCase):
    """A server of its own, killed and restarted under the watchers."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            raise AssertionError("the server exited with {} after SIGTERM".format(code))

    def write(self, username, keys):
        """Writes through a new client: the server may be a new one since the last write."""
        with LearnerStateClient(self.server.target, timeout=30) as writer:
            write_each(writer, username, keys)

    def test_the_blocking_iterator_rides_out_a_crash_and_a_graceful_restart(self):
        course, learner = new_course(), unique("learner")
        phases = [problem_keys(course, phase, 6) for phase in ("before", "crashed", "restarted")]
        with LearnerStateClient(self.server.target, max_resume_attempts=40, reconnect_timeout=5) as watcher:
            batches = watcher.watch_changes(course)
            next(batches)
            self.write(learner, phases[0])
            changes, _ = read_changes(batches, 2)
            self.server.crash_and_restart()
            self.write(learner, phases[1])
            more, _ = read_changes(batches, 12 - len(changes), seconds=60)
            changes += more
            # SIGTERM: the server ends the watch with UNAVAILABLE (SERVER_SHUTTING_DOWN).
            self.assertEqual(self.server.restart(), 0)
            self.write(learner, phases[2])
            more, _ = read_changes(batches, 18 - len(changes), seconds=60)
            changes += more
            batches.close()
        self.assertEqual(keys_of(changes), phases[0] + phases[1] + phases[2])

    def test_the_asyncio_iterator_rides_out_a_crash(self):
        course, learner = new_course(), unique("learner")
        before, after = problem_keys(course, "before", 5), problem_keys(course, "after", 5)

        async def watch():
            seen, crashed = [], False
            async with AsyncLearnerStateClient(self.server.target, max_resume_attempts=40, reconnect_timeout=5) as watcher:
                batches = watcher.watch_changes(course)
                await batches.__anext__()
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, self.write, learner, before)
                async for batch in batches:
                    seen.extend(keys_of(batch.changes))
                    if not crashed and len(seen) >= 2:
                        crashed = True
                        # Blocks for a few seconds: off the event loop.
                        await loop.run_in_executor(None, self.server.crash_and_restart)
                        await loop.run_in_executor(None, self.write, learner, after)
                    if len(seen) >= len(before) + len(after):
                        break
                await batches.aclose()
            return seen

        self.assertEqual(asyncio.run(asyncio.wait_for(watch(), 120)), before + after)


class RetentionTest(unittest.TestCase):
    """Servers whose change feed keeps changes for one second."""

    @classmethod
    def setUpClass(cls):
        env = {"CHANGE_FEED_RETENTION_SECONDS": "1", "CHANGE_FEED_RETENTION_INTERVAL_MS": "200"}
        cls.server = Server(env=env)
        # A second server on the same database: its feed holds no recent changes in memory, so it reads the database.
        cls.other = Server(env=env, database_url=cls.server.database.url)

    @classmethod
    def tearDownClass(cls):
        cls.other.stop()
        cls.server.stop()

    def test_a_token_whose_changes_retention_removed_raises_change_feed_expired(self):
        course, learner = new_course(), unique("learner")
        with LearnerStateClient(self.server.target, timeout=30) as client, LearnerStateClient(self.other.target, timeout=30) as other:
            batches = client.watch_changes(course)
            token = next(batches).resume_token
            batches.close()
            client.set(learner, block_key(course, "problem", "p1"), {"a": 1})
            deadline = time.monotonic() + 30
            while True:
                # Until retention has removed the change, it comes back instead.
                resumed = other.watch_changes(course, resume_token=token, max_resume_attempts=0)
                try:
                    batch = next(resumed)
                except ChangeFeedExpired as error:
                    caught = error
                    break
                finally:
                    resumed.close()
                self.assertEqual(keys_of(batch.changes), [block_key(course, "problem", "p1")])
                self.assertLess(time.monotonic(), deadline, "retention did not remove the change in 30 s")
                time.sleep(0.5)
        self.assertIsInstance(caught, ChangeFeedLost)
        self.assertIsInstance(caught, LearnerStateClient.ChangeFeedLost)
        self.assertEqual((caught.code, caught.reason), ("OUT_OF_RANGE", "CHANGE_FEED_EXPIRED"))
        self.assertEqual(caught.resume_token, token)


if __name__ == "__main__":
    unittest.main()

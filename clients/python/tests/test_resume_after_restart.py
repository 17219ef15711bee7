"""IterAll iterators of both clients ride out a server that dies mid-stream
and comes back on the same port: every row once, and no error."""

import asyncio
import unittest

from server_fixture import Server, block_key, unique

from learnerstate_client import LearnerStateClient
from learnerstate_client.aio import AsyncLearnerStateClient

ROWS = 3000
CRASH_AFTER = 100
SERVER = None


def setUpModule():
    global SERVER
    # Calls are logged at debug level: the test reads them to see the restarted server serve the rest.
    SERVER = Server(env={"LOG_LEVEL": "debug"})


def tearDownModule():
    code = SERVER.stop()
    if code != 0:
        raise AssertionError("the server exited with {} after SIGTERM".format(code))


def loaded_course():
    """A course of ROWS states, 50 learners x 60 problems, each with its own seed.

    With 4 KB of padding each, the stream (12 MB) is far more than the
    connection's flow-control windows and socket buffers let the first server
    send ahead before it is killed (after CRASH_AFTER rows), so most of it
    must come from the new server.
    """
    course = "course-v1:{}+Restart+2026".format(unique("Org"))
    with LearnerStateClient(SERVER.target, timeout=60) as client:
        for learner in range(ROWS // 60):
            client.set_many("learner{}".format(learner), {block_key(course, "problem", "p{}".format(index)): {"seed": learner * 60 + index, "padding": "x" * 4000}
                                                          for index in range(60)})
    return course


def served_by_the_restarted_server():
    """Whether the server now running answered an IterAllForCourse call (its log line may trail the stream's end)."""
    return SERVER.process.wait_for_output(lambda line: "IterAllForCourse" in line and "call answered" in line, timeout=5)


class ResumeAfterRestartTest(unittest.TestCase):
    def test_the_blocking_client(self):
        course = loaded_course()
        seeds = []
        with LearnerStateClient(SERVER.target, max_resume_attempts=40, reconnect_timeout=5) as client:
            for state in client.iter_all_for_course(course, batch_size=100):
                seeds.append(state.state["seed"])
                if len(seeds) == CRASH_AFTER:
                    SERVER.crash_and_restart()
        self.assertEqual(sorted(seeds), list(range(ROWS)))
        self.assertTrue(served_by_the_restarted_server())

    def test_the_asyncio_client(self):
        course = loaded_course()

        async def read():
            seeds = []
            async with AsyncLearnerStateClient(SERVER.target, max_resume_attempts=40, reconnect_timeout=5) as client:
                async for state in client.iter_all_for_course(course, batch_size=100):
                    seeds.append(state.state["seed"])
                    if len(seeds) == CRASH_AFTER:
                        # The restart blocks for a few seconds: off the event loop.
                        await asyncio.get_running_loop().run_in_executor(None, SERVER.crash_and_restart)
            return seeds

        self.assertEqual(sorted(asyncio.run(read())), list(range(ROWS)))
        self.assertTrue(served_by_the_restarted_server())


if __name__ == "__main__":
    unittest.main()

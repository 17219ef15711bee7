"""The asyncio client against a real server in development mode."""

import asyncio
import datetime
import unittest

from server_fixture import Server, block_key, free_port, unique

from learnerstate_client import DoesNotExist, InvalidArgument, LearnerErasure, Scope, ServiceUnavailable, XBlockUserState
from learnerstate_client.aio import AsyncLearnerStateClient

SERVER = None


def setUpModule():
    global SERVER
    SERVER = Server()


def tearDownModule():
    code = SERVER.stop()
    if code != 0:
        raise AssertionError("the server exited with {} after SIGTERM".format(code))


def new_course():
    return "course-v1:{}+Aio+2026".format(unique("Org"))


class AsyncClientTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.client = AsyncLearnerStateClient(SERVER.target, timeout=30)

    async def asyncTearDown(self):
        await self.client.close()

    async def test_set_get_delete_with_the_blocking_clients_answers(self):
        username, key = unique("alice"), block_key(new_course(), "problem", "q1")
        await self.client.set(username, key, {"attempts": 1, "answer": {"q1_2_1": ["a", "b"]}, "big": 12345678901234567890})
        state = await self.client.get(username, key)
        self.assertIsInstance(state, XBlockUserState)
        self.assertEqual((state.username, state.block_key, state.scope), (username, key, Scope.USER_STATE))
        self.assertEqual(state.state, {"attempts": 1, "answer": {"q1_2_1": ["a", "b"]}, "big": 12345678901234567890})
        self.assertEqual(state.updated.tzinfo, datetime.timezone.utc)
        self.assertEqual((await self.client.get(username, key, fields=["attempts"])).state, {"attempts": 1})
        self.assertEqual(sorted(await self.client.get_mod_date(username, key)), ["answer", "attempts", "big"])
        await self.client.delete(username, key, fields=["big"])
        await self.client.delete(username, key)
        with self.assertRaises(DoesNotExist):
            await self.client.get(username, key)
        history = await self.client.get_history(username, key)
        self.assertEqual([entry.state for entry in history],
                         [None, {"attempts": 1, "answer": {"q1_2_1": ["a", "b"]}},
                          {"attempts": 1, "answer": {"q1_2_1": ["a", "b"]}, "big": 12345678901234567890}])

    async def test_get_many_skips_blocks_without_state(self):
        username, course = unique("bob"), new_course()
        first, missing, second = (block_key(course, "problem", name) for name in ("a", "b", "c"))
        await self.client.set_many(username, {first: {"n": 1}, second: {"n": 2}})
        states = [state async for state in self.client.get_many(username, [first, missing, second, first])]
        self.assertEqual([(state.block_key, state.state) for state in states], [(first, {"n": 1}), (second, {"n": 2})])

    async def test_iterates_a_course_and_a_block_in_pages(self):
        course = new_course()
        learners = [unique("learner") for _ in range(5)]
        keys = [block_key(course, "problem", "p{}".format(index)) for index in range(3)]
        await asyncio.gather(*(self.client.set_many(learner, {key: {"seed": index} for index, key in enumerate(keys)}) for learner in learners))
        rows = [(state.username, state.block_key) async for state in self.client.iter_all_for_course(course, batch_size=4)]
        self.assertEqual(sorted(rows), sorted((learner, key) for learner in learners for key in keys))
        per_block = [state async for state in self.client.iter_all_for_block(keys[1], batch_size=2)]
        self.assertEqual(sorted(state.username for state in per_block), sorted(learners))

    async def test_errors_are_the_blocking_clients_exceptions(self):
        with self.assertRaises(InvalidArgument) as raised:
            await self.client.set(unique("carol"), "not a key", {"a": 1})
        self.assertEqual(raised.exception.reason, "INVALID_USAGE_KEY")
        with self.assertRaises(DoesNotExist) as missing:
            await self.client.get_history(unique("nobody"), block_key(new_course(), "problem", "p"))
        self.assertEqual(missing.exception.reason, "STATE_NOT_FOUND")
        async with AsyncLearnerStateClient("127.0.0.1:{}".format(free_port()), timeout=2) as unreachable:
            with self.assertRaises(ServiceUnavailable):
                await unreachable.get(unique("dave"), block_key(new_course(), "problem", "p"))

    async def test_retire_learner(self):
        username, key = unique("erin"), block_key(new_course(), "problem", "p")
        await self.client.set(username, key, {"a": 1})
        erased = await self.client.retire_learner(username)
        self.assertEqual(erased, LearnerErasure(1, 0, 0, 1))
        self.assertEqual(await self.client.retire_learner(username), LearnerErasure(0, 0, 0, 0))


class AsyncCatalogAndBlockStructuresTest(unittest.IsolatedAsyncioTestCase):
    """The catalog and block-structure calls of the asyncio client: the blocking client's plans, awaited."""

    async def asyncSetUp(self):
        self.client = AsyncLearnerStateClient(SERVER.target, timeout=30)

    async def asyncTearDown(self):
        await self.client.close()

    async def test_catalog(self):
        org = unique("AioOrg")
        course_key = "course-v1:{}+Cat+2026".format(org)
        organization = await self.client.catalog.add_organization(org, "Async University")
        self.assertEqual(organization.short_name, org)
        run = await self.client.catalog.create_course_run_for_modulestore_course_with(course_key, title="Async", language_short="en")
        self.assertEqual((run.course_key, run.run_code), (course_key, "2026"))
        self.assertEqual(await self.client.catalog.get_course_run(course_key), run)
        course = await self.client.catalog.get_catalog_course(key_str=run.catalog_course_key)
        self.assertEqual(course.runs, (run,))
        listed = [listed async for listed in self.client.catalog.list_catalog_courses(org_code=org, page_size=1)]
        self.assertEqual([entry.id for entry in listed], [course.id])
        self.assertEqual([entry.course_key async for entry in self.client.catalog.list_course_runs(course)], [course_key])
        await self.client.catalog.delete_course_run(course_key)
        with self.assertRaises(DoesNotExist):
            await self.client.catalog.get_course_run(course_key)

    async def test_block_structures(self):
        course = new_course()
        root, chapter, problem = block_key(course, "course", "course"), block_key(course, "chapter", "c"), block_key(course, "problem", "p")
        blocks = [{"block_key": root, "children": [chapter], "fields": {"display_name": "Demo"}},
                  {"block_key": chapter, "children": [problem]},
                  {"block_key": problem, "fields": {"has_score": True, "max_score": 2}}]
        published = datetime.datetime(2026, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
        result = await self.client.update_collected(root, blocks, data_edit_timestamp=published, data_version="v1")
        self.assertEqual((result.outcome, result.stored.block_count), ("stored", 3))
        self.assertTrue((await self.client.is_up_to_date(course, published, "v1")).up_to_date)
        collected = await self.client.get_collected(course)
        self.assertEqual(sorted(block.block_key for block in collected.blocks), sorted([root, chapter, problem]))
        view = await self.client.get_transformed(course, transformers=["blocks_api:block_counts"], block_types_to_count=["problem"])
        self.assertEqual(view.root_block_key, root)
        await self.client.clear_block_structure(course)
        with self.assertRaises(DoesNotExist):
            await self.client.get_collected(course)


if __name__ == "__main__":
    unittest.main()

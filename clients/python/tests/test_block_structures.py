"""The client's BlockStructureService calls against a real server in development mode."""

import datetime
import unittest

from server_fixture import Server, block_key, stop_cleanly, unique

from learnerstate_client import DoesNotExist, InvalidArgument, LearnerStateClient

SERVER = None
CLIENT = None
UTC = datetime.timezone.utc
PUBLISHED = datetime.datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
JUNE = datetime.datetime(2026, 6, 1, tzinfo=UTC)


def setUpModule():
    global SERVER, CLIENT
    SERVER = Server()
    CLIENT = LearnerStateClient(SERVER.target, timeout=30)


def tearDownModule():
    stop_cleanly(SERVER, CLIENT)


class Course:
    """A small course: two chapters (one staff-only) sharing a vertical, problems, and a library block."""

    def __init__(self):
        self.key = "course-v1:{}+Blocks+2026".format(unique("Org"))
        k = self.k = lambda block_type, block_id: block_key(self.key, block_type, block_id)
        self.root = k("course", "course")
        self.blocks = [
            {"block_key": self.root, "children": [k("chapter", "open"), k("chapter", "staff")], "fields": {"start": "2026-01-01T00:00:00Z", "display_name": "Demo"}},
            {"block_key": k("chapter", "open"), "children": [k("vertical", "v")], "fields": {"display_name": "Week 1"}},
            {"block_key": k("chapter", "staff"), "children": [k("vertical", "v"), k("vertical", "w")], "fields": {"visible_to_staff_only": True}},
            {"block_key": k("vertical", "v"), "children": [k("problem", "p1"), k("problem", "p2"), k("library_content", "lib")]},
            {"block_key": k("vertical", "w"), "children": [k("problem", "p3")]},
            {"block_key": k("problem", "p1"), "fields": {"has_score": True, "max_score": 1, "weight": 4}},
            {"block_key": k("problem", "p2"), "fields": {"has_score": True, "max_score": 2}},
            {"block_key": k("problem", "p3"), "fields": {"has_score": True, "max_score": 1}},
            {"block_key": k("library_content", "lib"), "children": [k("problem", "l0"), k("problem", "l1"), k("problem", "l2")], "fields": {"max_count": 1}},
            {"block_key": k("problem", "l0")},
            {"block_key": k("problem", "l1")},
            {"block_key": k("problem", "l2")},
        ]

    def publish(self, edited=PUBLISHED, version="v1"):
        return CLIENT.update_collected(self.root, self.blocks, data_edit_timestamp=edited, data_version=version)


class UpdateCollectedTest(unittest.TestCase):
    def test_a_course_is_stored_once_and_an_older_update_is_stale(self):
        course = Course()
        result = course.publish()
        self.assertEqual(result.outcome, "stored")
        self.assertEqual(result.stored.course_key, course.key)
        self.assertEqual(result.stored.root_block_key, course.root)
        self.assertEqual(result.stored.data_edit_timestamp, PUBLISHED)
        self.assertEqual(result.stored.block_count, len(course.blocks))
        self.assertEqual(course.publish().outcome, "unchanged")
        stale = course.publish(edited=PUBLISHED - datetime.timedelta(microseconds=1), version="v0")
        self.assertEqual((stale.outcome, stale.stored.data_version), ("stale", "v1"))
        self.assertTrue(CLIENT.is_up_to_date(course.key, PUBLISHED, "v1").up_to_date)
        self.assertFalse(CLIENT.is_up_to_date(course.key, PUBLISHED, "v2").up_to_date)

    def test_a_graph_with_a_missing_child_is_refused_naming_the_block(self):
        course = Course()
        course.blocks[1]["children"] = [course.k("vertical", "missing")]
        with self.assertRaises(InvalidArgument) as caught:
            course.publish()
        self.assertEqual(caught.exception.reason, "CHILD_NOT_SENT")
        self.assertEqual(caught.exception.metadata["field"], "blocks[1].children[0]")
        self.assertIsNone(CLIENT.is_up_to_date(course.key, PUBLISHED).stored)

    def test_a_naive_datetime_is_refused(self):
        with self.assertRaises(TypeError):
            Course().publish(edited=datetime.datetime(2026, 5, 1))


class CollectedAndClearTest(unittest.TestCase):
    def test_the_collected_structure_comes_back_and_clearing_removes_it(self):
        course = Course()
        course.publish()
        collected = CLIENT.get_collected(course.key)
        self.assertEqual(collected.version.block_count, len(course.blocks))
        self.assertEqual(collected.transformer_data["visibility"]["_version"], 1)
        by_key = {block.block_key: block for block in collected.blocks}
        self.assertEqual(collected.blocks[0].block_key, course.root)
        self.assertEqual(by_key[course.k("vertical", "v")].parents, [course.k("chapter", "open"), course.k("chapter", "staff")])
        self.assertEqual(by_key[course.k("problem", "p1")].fields, {"has_score": True, "max_score": 1, "weight": 4})
        self.assertTrue(by_key[course.k("vertical", "w")].transformer_data["visibility"]["merged_visible_to_staff_only"])
        CLIENT.clear_block_structure(course.key)
        with self.assertRaises(DoesNotExist) as caught:
            CLIENT.get_collected(course.key)
        self.assertEqual(caught.exception.reason, "BLOCK_STRUCTURE_NOT_FOUND")
        with self.assertRaises(DoesNotExist):
            CLIENT.clear_block_structure(course.key)
        self.assertFalse(CLIENT.is_up_to_date(course.key, PUBLISHED).up_to_date)


class GetTransformedTest(unittest.TestCase):
    transformers = ["visibility", "start_date", "library_content", "blocks_api:block_depth", "blocks_api:block_counts", "learner_progress"]

    def setUp(self):
        self.course = Course()
        self.course.publish()
        self.learner = unique("alice")
        k = self.course.k
        CLIENT.set_many(self.learner, {
            k("library_content", "lib"): {"selected": [["problem", "l2"], ["problem", "l0"]]},
            k("problem", "p1"): {"score": {"raw_earned": 1, "raw_possible": 2}},
            k("problem", "p3"): {"score": {"raw_earned": 1, "raw_possible": 1}},
        })

    def view(self, **options):
        arguments = dict(username=self.learner, evaluate_at=JUNE, transformers=self.transformers, requested_fields=["display_name"],
                         block_types_to_count=["problem"])
        arguments.update(options)
        return CLIENT.get_transformed(self.course.key, **arguments)

    def test_a_learner_sees_their_course_with_their_selection_and_progress(self):
        k = self.course.k
        view = self.view()
        self.assertEqual(view.root_block_key, self.course.root)
        self.assertEqual(view.evaluated_at, JUNE)
        keys = [block.block_key for block in view.blocks]
        self.assertEqual(keys, [self.course.root, k("chapter", "open"), k("vertical", "v"), k("problem", "p1"), k("problem", "p2"),
                                k("library_content", "lib"), k("problem", "l2")])
        blocks = {block.block_key: block for block in view.blocks}
        self.assertEqual(blocks[self.course.root].fields, {"display_name": "Demo"})
        self.assertEqual(blocks[k("library_content", "lib")].children, [k("problem", "l2")])
        self.assertEqual(blocks[k("vertical", "v")].transformer_fields["blocks_api:block_depth"], {"depth": 2})
        self.assertEqual(blocks[self.course.root].transformer_fields["blocks_api:block_counts"], {"problem": 3})
        # p1: 1 of 2 weighed to 2 of 4; p2: no score, 0 of 2; l2 is not scored. p3 is staff-only.
        self.assertEqual(blocks[self.course.root].transformer_fields["learner_progress"],
                         {"earned": 2, "possible": 6, "scored_blocks": 2, "attempted_blocks": 1})

    def test_staff_see_the_staff_only_chapter_and_the_shared_vertical_once(self):
        view = self.view(has_staff_access=True)
        keys = [block.block_key for block in view.blocks]
        self.assertIn(self.course.k("chapter", "staff"), keys)
        self.assertEqual(keys.count(self.course.k("vertical", "v")), 1)
        self.assertEqual(view.blocks[0].transformer_fields["learner_progress"]["attempted_blocks"], 2)

    def test_a_starting_block_and_its_errors(self):
        k = self.course.k
        view = CLIENT.get_transformed(starting_block_key=k("vertical", "v"), username=self.learner, transformers=["blocks_api:block_depth"])
        self.assertEqual(view.blocks[0].block_key, k("vertical", "v"))
        self.assertEqual(view.blocks[0].transformer_fields["blocks_api:block_depth"], {"depth": 0})
        with self.assertRaises(DoesNotExist) as caught:
            CLIENT.get_transformed(starting_block_key=k("vertical", "nowhere"))
        self.assertEqual(caught.exception.reason, "USAGE_KEY_NOT_IN_BLOCK_STRUCTURE")
        with self.assertRaises(InvalidArgument) as caught:
            self.view(transformers=["visibility", "grades"])
        self.assertEqual(caught.exception.reason, "UNKNOWN_TRANSFORMER")
        self.assertIn("learner_progress", caught.exception.metadata["registered"].split(","))
        with self.assertRaises(ValueError):
            CLIENT.get_transformed()


class UserPartitionsTest(unittest.TestCase):
    """A cohorted course with verified-only content: each learner's groups decide what they see."""

    def setUp(self):
        self.key = "course-v1:{}+Cohorts+2026".format(unique("Org"))
        k = self.k = lambda block_type, block_id: block_key(self.key, block_type, block_id)
        partitions = [
            {"id": 50, "name": "Enrollment Track Groups", "scheme": "enrollment_track", "groups": [{"id": 1, "name": "Audit"}, {"id": 2, "name": "Verified"}]},
            {"id": 1001, "name": "Content Groups", "scheme": "cohort", "groups": [{"id": 11, "name": "Red"}, {"id": 12, "name": "Blue"}]},
        ]
        blocks = [
            {"block_key": k("course", "course"), "children": [k("chapter", "c")], "fields": {"user_partitions": partitions}},
            {"block_key": k("chapter", "c"), "children": [k("vertical", "all"), k("vertical", "verified"), k("vertical", "red")]},
            {"block_key": k("vertical", "all")},
            {"block_key": k("vertical", "verified"), "fields": {"group_access": {"50": [2]}}},
            {"block_key": k("vertical", "red"), "fields": {"group_access": {"1001": [11]}}},
        ]
        CLIENT.update_collected(k("course", "course"), blocks, data_edit_timestamp=PUBLISHED)

    def units(self, **learner):
        view = CLIENT.get_transformed(self.key, transformers=["visibility", "user_partitions"], **learner)
        return [block.block_key for block in view.blocks if "+type@vertical+" in block.block_key]

    def test_each_learner_sees_the_units_of_their_track_and_cohort(self):
        k = self.k
        self.assertEqual(self.units(user_partition_groups={50: 1}), [k("vertical", "all")])
        self.assertEqual(self.units(user_partition_groups={50: 2}), [k("vertical", "all"), k("vertical", "verified")])
        self.assertEqual(self.units(user_partition_groups={50: 2, 1001: 11}), [k("vertical", "all"), k("vertical", "verified"), k("vertical", "red")])
        self.assertEqual(self.units(), [k("vertical", "all")])
        self.assertEqual(self.units(has_staff_access=True), [k("vertical", "all"), k("vertical", "verified"), k("vertical", "red")])


if __name__ == "__main__":
    unittest.main()

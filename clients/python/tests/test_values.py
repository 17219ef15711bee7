"""How field values are written as JSON text, without a server."""

import json
import math
import sys
import unittest

from learnerstate_client._values import decode_states, decode_value, encode_fields, encode_value


class EncodeValueTest(unittest.TestCase):
    def test_ints_stay_ints_and_floats_keep_a_fraction(self):
        self.assertEqual(encode_value(1), "1")
        self.assertEqual(encode_value(2 ** 53 + 1), "9007199254740993")
        self.assertEqual(encode_value(1.0), "1.0")
        self.assertEqual(encode_value(1e16), "10000000000000000.0")
        self.assertEqual(encode_value(1.5e-7), "0.00000015")
        self.assertEqual(encode_value(True), "true")
        self.assertEqual(encode_value(None), "null")

    def test_every_float_reads_back_as_the_same_float(self):
        for number in (0.1, 1e22, 1e-300, 5e-324, sys.float_info.max, -2.5e-5, 123456789.123):
            text = encode_value(number)
            self.assertNotIn("e", text.lower())
            self.assertEqual(decode_value(text), number)
            self.assertIs(type(decode_value(text)), float)

    def test_containers_and_text_are_plain_json(self):
        value = {"a": [1, 2.5, "\u00e9\U0001d11e", None], "b": {"c": (True, False)}, 3: "int key"}
        self.assertEqual(json.loads(encode_value(value)), {"a": [1, 2.5, "\u00e9\U0001d11e", None], "b": {"c": [True, False]}, "3": "int key"})
        self.assertIn("\u00e9", encode_value("\u00e9"))  # not escaped: fewer bytes against MAX_VALUE_BYTES

    def test_what_json_cannot_hold_is_refused(self):
        for bad in (math.nan, math.inf, -math.inf):
            with self.assertRaises(ValueError):
                encode_value(bad)
        with self.assertRaises(ValueError):
            encode_value("\ud800 unpaired surrogate")
        loop = []
        loop.append(loop)
        with self.assertRaises(ValueError):
            encode_value(loop)
        with self.assertRaises(TypeError):
            encode_value(b"bytes")
        with self.assertRaises(TypeError):
            encode_fields({1: "field names must be strings"})
        with self.assertRaises(TypeError):
            encode_fields([("a", 1)])


class DecodeStatesTest(unittest.TestCase):
    def test_one_parse_gives_what_a_parse_of_each_state_gives(self):
        texts = ['{"big": 9007199254740993, "one": 1, "one_point_zero": 1.0, "tiny": 5e-324}',
                 "{}",
                 r'{"text": "\u00e9\ud834\udd1e \"quoted\"", "nested": {"a": [1, [2, {"b": null}]]}, "done": true}',
                 '{"same": 1, "same": 2}']
        states = decode_states(texts)
        self.assertEqual(states, [json.loads(text) for text in texts])
        self.assertEqual(states[0]["big"], 2 ** 53 + 1)
        self.assertIs(type(states[0]["one"]), int)
        self.assertIs(type(states[0]["one_point_zero"]), float)
        self.assertEqual(states[2]["text"], "\u00e9\U0001d11e \"quoted\"")
        self.assertEqual(states[3], {"same": 2})
        self.assertEqual(decode_states([]), [])

    def test_a_text_that_is_not_one_object_is_refused(self):
        for texts in (['{"a": 1}, {"b": 2}'], ["[1]"], ['{"a": 1}', "1"]):
            with self.assertRaises(ValueError):
                decode_states(texts)


if __name__ == "__main__":
    unittest.main()

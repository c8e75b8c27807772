"""The API's JSON parser refuses what Python's json module cannot decode."""

import io

import pytest
from rest_framework.exceptions import ParseError

from apps.core.parsers import JSONParser


def parse(text):
    return JSONParser().parse(io.BytesIO(text.encode()))


def test_parses_a_json_object():
    assert parse('{"title": "t", "tags": [1, [2]]}') == {"title": "t", "tags": [1, [2]]}


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        "[" * 100_000,
    ],
    ids=["deep-array", "deep-object", "deep-unclosed"],
)
def test_nesting_past_the_recursion_limit_is_a_parse_error(text):
    with pytest.raises(ParseError, match="nested too deeply"):
        parse(text)


def test_malformed_json_is_still_a_parse_error():
    with pytest.raises(ParseError, match="JSON parse error"):
        parse('{"title": ')

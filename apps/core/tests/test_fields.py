"""The strict fields refuse what the schema's types refuse; DRF's coerce it."""

import pytest
from django.http import QueryDict
from rest_framework import serializers

from apps.core.fields import StrictBooleanField, StrictCharField, StrictEmailField


class Input(serializers.Serializer):
    name = StrictCharField(max_length=5, required=False)
    note = StrictCharField(max_length=5, required=False, allow_blank=True)
    email = StrictEmailField(required=False)
    flag = StrictBooleanField(required=False)


def errors(data):
    serializer = Input(data=data)
    assert not serializer.is_valid()
    return serializer.errors


def valid(data):
    serializer = Input(data=data)
    assert serializer.is_valid(), serializer.errors
    return serializer.validated_data


@pytest.mark.parametrize("value", [0, 1.5, True, [], {}])
def test_char_field_refuses_non_strings(value):
    assert errors({"name": value})["name"] == ["Not a valid string."]


def test_char_field_measures_the_text_as_sent_before_trimming():
    assert "name" in errors({"name": "\nabcde"})
    assert valid({"name": " abc "})["name"] == "abc"


@pytest.mark.parametrize("value", ["\x1f", " \x85 ", "\t"])
def test_char_field_blank_once_trimmed_is_refused(value):
    assert "name" in errors({"name": value})


def test_char_field_refuses_nul():
    assert "note" in errors({"note": "a\x00"})


def test_email_field_refuses_non_strings_and_control_characters():
    assert "email" in errors({"email": 0})
    assert "email" in errors({"email": "\x1f"})


@pytest.mark.parametrize("value", [0, 1, "true", "yes", "on", None])
def test_boolean_field_takes_only_json_booleans_in_json(value):
    assert "flag" in errors({"flag": value})


def test_boolean_field_takes_true_and_false_text_in_form_data():
    assert valid(QueryDict("flag=true"))["flag"] is True
    assert valid(QueryDict("flag=false"))["flag"] is False
    for text in ("0", "1", "True", "on"):
        assert "flag" in errors(QueryDict(f"flag={text}"))

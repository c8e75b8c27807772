"""Provides serializer fields that take input as the schema types it, not coerced.

DRF's CharField turns the JSON number 0 into "0" and its BooleanField takes 0, 1,
"yes" or "on" as booleans, so a client's type error is stored instead of refused
while the OpenAPI schema says `string` and `boolean`. These fields refuse what the
schema refuses. Form data (multipart) carries only text, so there a boolean is the
text "true" or "false", as OpenAPI serializes it.
"""

from django.http import QueryDict
from rest_framework import serializers


def _is_form_data(field):
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


class _StrictText:
    """Only strings, measured as sent.

    DRF trims before checking max_length, so 201 characters with a leading newline
    pass a 200 limit the schema states for the text as sent.
    """

    def run_validation(self, data=serializers.empty):
        if data is not serializers.empty and data is not None:
            if not isinstance(data, str):
                self.fail("invalid")
            if self.max_length is not None and len(data) > self.max_length:
                self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)


class StrictCharField(_StrictText, serializers.CharField):
    """A CharField that refuses anything but a string."""

    default_error_messages = {"invalid": "Not a valid string."}


class StrictEmailField(_StrictText, serializers.EmailField):
    """An EmailField that refuses anything but a string."""


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false; in form data, the text "true" or "false"."""

    default_error_messages = {"invalid": 'Must be true or false, not "{input}".'}
    FORM_VALUES = {"true": True, "false": False}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if _is_form_data(self) and data in self.FORM_VALUES:
            return self.FORM_VALUES[data]
        self.fail("invalid", input=data)

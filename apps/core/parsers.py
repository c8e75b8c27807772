"""Provides the API's JSON parser: DRF's, refusing JSON nested too deeply as a 400."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser, which turns only a ValueError into a ParseError.

    Python's json module raises RecursionError, not ValueError, for a document
    nested deeper than the interpreter's recursion limit (a few hundred bytes of
    ``[[[[...``), which would otherwise reach the exception handler as a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None

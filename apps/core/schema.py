"""OpenAPI additions: the error contract as a component on every operation."""

from rest_framework.settings import api_settings
from rest_framework_simplejwt.views import TokenViewBase

ERROR_SCHEMA = {
    "type": "object",
    "description": "The body of every 4xx/5xx response.",
    "properties": {
        "status": {"type": "integer", "example": 400},
        "code": {"type": "string", "example": "validation_error"},
        "detail": {"type": "string", "example": "Invalid input."},
        "fields": {
            "type": "object",
            "description": "Validation errors only: field name -> messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "request_id": {"type": "string", "nullable": True},
    },
    "required": ["status", "code", "detail", "request_id"],
}

_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_DESCRIPTIONS = {
    "400": "Validation error.",
    "401": "Missing, invalid or expired credentials.",
    "403": "Not allowed.",
    "404": "Not found.",
    "413": "Request body too large.",
    "415": "Unsupported request body type.",
    "429": "Rate limited; see Retry-After.",
    "500": "Server error.",
}


# What every DRF CharField refuses beyond its schema's type and lengths: a NUL
# character (ProhibitNullCharactersValidator) and, unless blank is allowed (its
# schema's minLength 1), a value blank once trimmed. Trimming is str.strip(), whose
# whitespace (str.isspace()) is spelled out: ECMA's \s, which schema tools may
# use, lacks U+001C-U+001F and U+0085. (\u0000, not \x00: the form drf-spectacular
# writes validators' patterns in.)
_SPACE = (
    r"\t\n\u000b\u000c\r\u001c-\u0020\u0085\u00a0\u1680"
    r"\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
NO_NUL = r"^[^\u0000]*$"
NO_NUL_NOT_BLANK = rf"^[^\u0000]*[^\u0000{_SPACE}][^\u0000]*$"


def add_text_patterns(result, generator, request, public):
    """drf-spectacular postprocessing hook: DRF's text rules on request strings."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            for prop in component.get("properties", {}).values():
                _add_text_pattern(prop)
    for parameter in _query_parameters(result):
        # SearchFilter cleans its term with a CharField (NUL refused, blank allowed);
        # the other query strings (ordering, cursor) take any text.
        if parameter["name"] == api_settings.SEARCH_PARAM:
            _add_text_pattern(parameter.get("schema", {}))
    return result


def _query_parameters(result):
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    yield parameter


def _add_text_pattern(prop):
    text = prop.get("format") in (None, "email")  # not binary, dates, uuids...
    if prop.get("type") != "string" or "pattern" in prop or not text:
        return
    prop["pattern"] = NO_NUL_NOT_BLANK if prop.get("minLength", 0) >= 1 else NO_NUL


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document `Error` on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = (
        ERROR_SCHEMA
    )
    views = _views_by_operation(generator)
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            for code in _codes_for(operation, views.get((path, method))):
                responses.setdefault(code, _error_response(code))
    return result


def _views_by_operation(generator):
    """(path, method) -> the view class that answers it."""
    return {
        (path, method.lower()): getattr(callback, "cls", None)
        for path, _, method, callback in generator.endpoints
    }


def _codes_for(operation, view):
    codes = ["500"]
    if operation.get("security") != [{}] and operation.get("security"):
        codes.append("401")
    if view is not None and issubclass(view, TokenViewBase):
        codes.append("401")  # simplejwt's views: bad credentials or token
    if view is not None and getattr(view, "throttle_classes", None):
        codes.append("429")
    if "requestBody" in operation:
        codes += ["400", "413", "415"]
    return codes


def _error_response(code):
    return {
        "description": _DESCRIPTIONS[code],
        "content": {"application/json": {"schema": _ERROR_REF}},
    }

"""OpenAPI additions: the error contract as a component on every operation."""

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
    "429": "Rate limited; see Retry-After.",
    "500": "Server error.",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document `Error` on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = (
        ERROR_SCHEMA
    )
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code in _codes_for(operation):
                responses.setdefault(code, _error_response(code))
    return result


def _codes_for(operation):
    codes = ["500"]
    if operation.get("security") != [{}] and operation.get("security"):
        codes.append("401")
    if "requestBody" in operation:
        codes += ["400", "413"]
    return codes


def _error_response(code):
    return {
        "description": _DESCRIPTIONS[code],
        "content": {"application/json": {"schema": _ERROR_REF}},
    }

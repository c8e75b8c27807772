"""The API's single error contract, produced by one exception handler.

Every 4xx/5xx response body has this shape::

    {"status": 400, "code": "validation_error", "detail": "Invalid input.",
     "fields": {"email": ["Enter a valid email address."]}, "request_id": "..."}

`fields` appears only on validation errors and keeps the serializer's field names.
"""

import logging

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.request_id import get_request_id

logger = logging.getLogger(__name__)
# Where Django itself reports a SuspiciousOperation.
security_logger = logging.getLogger("django.security")

VALIDATION_DETAIL = "Invalid input."


class RequestTooLarge(exceptions.APIException):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE; the code matches Nginx's own 413."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "request_too_large"


class Conflict(exceptions.APIException):
    """A valid request the current state refuses (a taken unique value)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflicts with the current state of the resource."
    default_code = "conflict"


class BadRequest(exceptions.APIException):
    """A request Django refuses as suspicious (too many fields, a bad host...)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad request."
    default_code = "bad_request"


def error_body(*, status_code, code, detail, fields=None):
    """Build an error body in the contract's shape."""
    body = {"status": status_code, "code": code, "detail": str(detail)}
    if fields is not None:
        body["fields"] = fields
    body["request_id"] = get_request_id()
    return body


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: wrap DRF's handling, then reshape the body."""
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an APIException, Http404 or PermissionDenied: a bug. Log it with its
        # traceback and answer 500 without leaking it.
        logger.exception("unhandled exception in %s", _view_name(context), exc_info=exc)
        return Response(
            error_body(
                status_code=500,
                code="server_error",
                detail="A server error occurred.",
            ),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    response.data = _reshape(exc, response)
    return response


def _as_api_exception(exc):
    """Django's client-error exceptions as the API exceptions DRF answers with."""
    if isinstance(exc, DjangoValidationError):
        # Services validate with full_clean() and raise Django's ValidationError.
        return exceptions.ValidationError(_django_messages(exc))
    if isinstance(exc, RequestDataTooBig):
        # Raised while DRF reads the body, inside the view, so Django's own
        # handling (a 400 from its middleware layer) never sees it.
        return RequestTooLarge()
    if isinstance(exc, SuspiciousOperation):
        security_logger.warning("%s: %s", type(exc).__name__, exc)
        return BadRequest()
    return exc


def _reshape(exc, response):
    if isinstance(exc, exceptions.ValidationError):
        return error_body(
            status_code=response.status_code,
            code="validation_error",
            detail=VALIDATION_DETAIL,
            fields=_as_fields(exc.detail),
        )
    return error_body(
        status_code=response.status_code,
        code=_code_of(exc),
        detail=_detail_of(response.data),
    )


def _as_fields(detail):
    """A ValidationError's detail as a dict of field -> messages."""
    if isinstance(detail, dict):
        return detail
    messages = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": messages}


def _code_of(exc):
    if isinstance(exc, Http404):
        return "not_found"
    if isinstance(exc, PermissionDenied):
        return "permission_denied"
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    if isinstance(codes, str):
        return codes
    # simplejwt nests its code inside a dict detail ({"detail": ..., "code": ...}).
    if isinstance(codes, dict) and isinstance(codes.get("code"), str):
        return codes["code"]
    return getattr(exc, "default_code", "error")


def _detail_of(data):
    if isinstance(data, dict) and "detail" in data:
        return data["detail"]
    return data


def _view_name(context):
    view = context.get("view")
    return type(view).__name__ if view is not None else "unknown view"


def _django_messages(exc):
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}

"""Every API error is JSON: 400 names the parameter and what is wrong; nothing
reaches the client as an HTML traceback. A database outage answers 503 (JSON
for the API, a short page for the site) and the next request reconnects."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = _("The directory is briefly unavailable. Please try again in a few seconds.")
UNAVAILABLE_TITLE = _("Briefly unavailable")
# Seconds a client should wait before retrying (the Retry-After header).
RETRY_AFTER_SECONDS = 5

# --- how errors look in the OpenAPI schema ----------------------------------------
# Documented so that clients (and the schemathesis fuzz test, which checks every
# response against the schema) know every status an endpoint can answer.

_DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
# A 400 names each wrong field: {"lat": ["…"]}; a field inside a list or an
# object nests ({"locations": [{"lat": ["…"]}]}); a body that is not JSON at all
# gives {"detail": "…"}.
_FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {"oneOf": [{"type": "array"}, {"type": "object"}, {"type": "string"}]},
    "example": {"lat": ["Ensure this value is less than or equal to 90."]},
}

BAD_REQUEST = OpenApiResponse(_FIELD_ERRORS, description="Bad input: each wrong field with what is wrong.")
FORBIDDEN = OpenApiResponse(_DETAIL, description="Not signed in, a failed CSRF check, or not allowed.")
NOT_FOUND = OpenApiResponse(_DETAIL, description="No such object.")
THROTTLED = OpenApiResponse(_DETAIL, description="Too many requests from this client; retry later.")
UNAVAILABLE = OpenApiResponse(_DETAIL, description="The database is briefly unavailable; retry in a few seconds.")


def public_errors(*, bad_request: bool = True, not_found: bool = False) -> dict[int, OpenApiResponse]:
    """Errors of the anonymous read API (throttled)."""
    errors = {429: THROTTLED, 503: UNAVAILABLE}
    if bad_request:
        errors[400] = BAD_REQUEST
    if not_found:
        errors[404] = NOT_FOUND
    return errors


def write_errors(*, not_found: bool = True, bad_request: bool = True) -> dict[int, OpenApiResponse]:
    """Errors of the signed-in partner and moderation API."""
    errors = {403: FORBIDDEN, 503: UNAVAILABLE}
    if bad_request:
        errors[400] = BAD_REQUEST
    if not_found:
        errors[404] = NOT_FOUND
    return errors


@csrf_exempt  # it changes nothing; a POST to a wrong URL deserves the 404, not a CSRF page
def not_found(request: HttpRequest) -> JsonResponse:
    """An /api/ URL that matches no endpoint (or a path parameter of the wrong
    shape, such as a letter where an id goes): JSON like every other API error."""
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, DatabaseError):
        # Logged without the request: its query string may carry a search origin.
        logger.error("database error: %s", type(exc).__name__)
        return Response(
            {"detail": str(DATABASE_UNAVAILABLE)},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return None


class DatabaseUnavailableMiddleware:
    """A page (or any non-DRF view) that fails on the database answers 503 with
    a short page of its own instead of Django's 500. The page is a fixed string:
    rendering the site's templates would query the database again (the signed-in
    user), and fail again. The next request finds a working connection again:
    CONN_MAX_AGE connections are health-checked before reuse."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase | None:
        if not isinstance(exception, DatabaseError):
            return None
        logger.error("database error: %s", type(exception).__name__)
        response: HttpResponseBase
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": str(DATABASE_UNAVAILABLE)}, status=503)
        else:
            page = (
                '<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                "<title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
            ).format(
                lang=escape(get_language() or "ru"), title=escape(UNAVAILABLE_TITLE), text=escape(DATABASE_UNAVAILABLE)
            )
            response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

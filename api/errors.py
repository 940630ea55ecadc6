"""Every API error is JSON: 400 names the parameter and what is wrong; nothing
reaches the client as an HTML traceback. A database outage answers 503 (JSON
for the API, a short page for the site) and the next request reconnects. A
body over its size cap answers 413 before it is read."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.defaultfilters import filesizeformat
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
TOO_LARGE = _("The request is too large: at most {size} can be sent here.")
TOO_LARGE_TITLE = _("Too large")
TOO_MANY_FIELDS = _("The form has too many fields or files to be sent at once: send it in parts.")
TOO_MANY_FIELDS_TITLE = _("Too many fields")

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
TOO_LARGE_RESPONSE = OpenApiResponse(_DETAIL, description="The request body is over its size cap (not read).")
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
    errors = {403: FORBIDDEN, 413: TOO_LARGE_RESPONSE, 503: UNAVAILABLE}
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
    if isinstance(exc, RequestDataTooBig):
        # DRF reads a JSON body through request.body, which raises this past
        # DATA_UPLOAD_MAX_MEMORY_SIZE; Django would answer its HTML 400 page.
        # RequestSizeMiddleware refuses such bodies first; this is the fallback.
        text = str(TOO_LARGE).format(size=filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
        return Response({"detail": text}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
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


def _page(*, title: object, text: object, status: int) -> HttpResponse:
    """A short fixed page: no site template, so it renders whatever else is failing."""
    page = (
        '<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    ).format(lang=escape(get_language() or "ru"), title=escape(title), text=escape(text))
    return HttpResponse(page, status=status, content_type="text/html; charset=utf-8")


def _error(request: HttpRequest, *, title: object, text: str, status: int) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": text}, status=status)
    return _page(title=title, text=text, status=status)


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
        response = _error(request, title=UNAVAILABLE_TITLE, text=str(DATABASE_UNAVAILABLE), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def request_body_cap(request: HttpRequest) -> int:
    """The most bytes this request's body may have: DATA_UPLOAD_MAX_MEMORY_SIZE,
    plus the file cap of the view (FILE_UPLOAD_MAX_BYTES, or its own in
    LARGE_UPLOAD_VIEWS) when the body is a multipart upload."""
    cap: int = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if request.content_type == "multipart/form-data":
        view = request.resolver_match.view_name if request.resolver_match else ""
        setting = settings.LARGE_UPLOAD_VIEWS.get(view)
        cap += getattr(settings, setting) if setting else settings.FILE_UPLOAD_MAX_BYTES
    return cap


def _content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0  # as Django reads it: no body


class RequestSizeMiddleware:
    """Oversized requests refused before their body is read.

    Django applies DATA_UPLOAD_MAX_MEMORY_SIZE only when something reads the
    body (DRF's parsing, the CSRF check reading a form), by raising an exception
    that ends in its bare HTML "Bad Request (400)", for the API too; the size of
    a multipart upload it does not cap at all. Here the declared Content-Length
    is checked against the view's cap before anything reads the body (WSGI
    never reads past Content-Length), and a form is parsed once, ahead of the
    CSRF check, so a form with too many fields or files gets a page that says
    so. Must come before CsrfViewMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponseBase | None:
        cap = request_body_cap(request)
        if _content_length(request) > cap:
            return self._too_large(request, cap)
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            try:
                request.POST  # noqa: B018 - parses the form (and its files) now, within the caps
            except RequestDataTooBig:
                return self._too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
            except (TooManyFieldsSent, TooManyFilesSent):
                return _error(request, title=TOO_MANY_FIELDS_TITLE, text=str(TOO_MANY_FIELDS), status=400)
        return None

    @staticmethod
    def _too_large(request: HttpRequest, cap: int) -> HttpResponse:
        text = str(TOO_LARGE).format(size=filesizeformat(cap))
        return _error(request, title=TOO_LARGE_TITLE, text=text, status=413)

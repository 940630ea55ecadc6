"""Error pages (400, 403, 404, 429, 500 and a failed CSRF check).

A person who reaches one may be in danger and in a hurry: the page has the
site's header with the quick-exit button, the crisis strip and the visitor's
language, like every other page. Under /api/ the same errors are JSON, never
HTML (DRF answers its own errors; these are the ones that pass by it: an
uncaught exception, a URL that matches nothing).

The 500 page is rendered without the database: no context processors (the
signed-in user would be a query), and the crisis strip shows only the
emergency number instead of the directory's crisis lines. A database outage
itself answers 503 earlier (api.errors.DatabaseUnavailableMiddleware).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import requires_csrf_token

from frontend import selectors

BAD_REQUEST_TITLE = _("The request could not be read")
BAD_REQUEST_TEXT = _("Something in the address or the form was not as expected. Go back and try again.")
FORBIDDEN_TITLE = _("Not allowed")
FORBIDDEN_TEXT = _("This page is not open to you. If you think it should be, sign in with the right account.")
NOT_FOUND_TITLE = _("Page not found")
NOT_FOUND_TEXT = _("There is no such page here. It may have been moved or removed, or the address has a typo.")
TOO_MANY_TITLE = _("Too many requests")
TOO_MANY_TEXT = _("Too many requests came from here in a short time. Wait a few minutes and try again.")
SERVER_ERROR_TITLE = _("Something went wrong")
SERVER_ERROR_TEXT = _(
    "The site could not answer this time. Try again in a minute. If you need help now, call a number below."
)
CSRF_TITLE = _("The form has expired")
CSRF_TEXT = _(
    "The form was open too long, or the browser did not send the site's cookie. "
    "Go back, reload the page and send the form again."
)

# What the API answers for the errors that reach these handlers.
API_BAD_REQUEST = _("Bad request.")
API_FORBIDDEN = _("You do not have permission to perform this action.")
API_NOT_FOUND = _("Not found.")
API_TOO_MANY = _("Request was throttled.")
API_SERVER_ERROR = _("Server error: the request could not be completed. Try again later.")
API_CSRF_FAILED = _("CSRF check failed: reload the page that sent the request.")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _page(request: HttpRequest, *, status: int, title: object, text: object, detail: str = "") -> HttpResponse:
    context = {"title": title, "text": text, "detail": detail}
    return render(request, "frontend/errors/error.html", context, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": str(API_BAD_REQUEST)}, status=400)
    return _page(request, status=400, title=BAD_REQUEST_TITLE, text=BAD_REQUEST_TEXT)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": str(API_FORBIDDEN)}, status=403)
    # The reason given by the code (a gettext constant such as "only the owner
    # may …"), when there is one.
    detail = str(exception) if exception is not None and exception.args else ""
    return _page(request, status=403, title=FORBIDDEN_TITLE, text=FORBIDDEN_TEXT, detail=detail)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Not the exception's text: get_object_or_404's names the model, in English.
    if _is_api(request):
        return JsonResponse({"detail": str(API_NOT_FOUND)}, status=404)
    return _page(request, status=404, title=NOT_FOUND_TITLE, text=NOT_FOUND_TEXT)


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """429, for a page refused by a rate limit (the API's throttles answer DRF's JSON)."""
    if _is_api(request):
        return JsonResponse({"detail": str(API_TOO_MANY)}, status=429)
    return _page(request, status=429, title=TOO_MANY_TITLE, text=TOO_MANY_TEXT)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": str(API_CSRF_FAILED)}, status=403)
    return _page(request, status=403, title=CSRF_TITLE, text=CSRF_TEXT)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": str(API_SERVER_ERROR)}, status=500)
    # A plain context, not a RequestContext: no context processor runs (the
    # header's language links need only the request).
    context = {
        "request": request,
        "title": SERVER_ERROR_TITLE,
        "text": SERVER_ERROR_TEXT,
        "emergency": selectors.EMERGENCY_NUMBER,
    }
    page = get_template("frontend/errors/500.html").render(context)
    return HttpResponse(page, status=500)

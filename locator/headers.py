"""Response headers every answer carries: what a browser or a shared cache
may keep, and which browser features the site may use.

``Cache-Control: no-store`` on everything that shows non-public data: the
partner, moderation, press and expert pages and their API, account pages,
the admin, and any page answered to a signed-in user. A shared computer's
browser cache (or a proxy) must not keep a shelter's street address or an
expert's contacts after the person has left.

``Permissions-Policy`` turns off the browser features the site never uses.
Geolocation stays on for the site itself: the locator's "near me" button
(frontend/static/frontend/locator.js) asks for the position, in the browser.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers

PRIVATE_PREFIXES = (
    "/partner/",
    "/press/",
    "/accounts/",
    "/admin/",
    "/verify/",
    "/api/v1/partner/",
    "/api/v1/moderation/",
    "/api/v1/press/",
)

PERMISSIONS_POLICY = ", ".join(
    [
        "accelerometer=()",
        "browsing-topics=()",
        "camera=()",
        "display-capture=()",
        "geolocation=(self)",
        "gyroscope=()",
        "magnetometer=()",
        "microphone=()",
        "payment=()",
        "usb=()",
    ]
)


def is_private(request: HttpRequest, response: HttpResponseBase) -> bool:
    if request.path.startswith(PRIVATE_PREFIXES):
        return True
    if "private" in response.get("Cache-Control", ""):
        return True
    # A request with a session may be signed in; treat it as private without
    # reading request.user, which is a query: while the database is down that
    # query turned the proper 503 into a 500 (the load test's fault phase).
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def SecurityHeadersMiddleware(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        if is_private(request, response):
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, private, max-age=0"
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    return middleware

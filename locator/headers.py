"""Response headers every answer carries: what a browser or a shared cache
may keep, and which browser features the site may use.

``Cache-Control: no-store`` on everything that shows non-public data: the
partner, moderation, press and expert pages and their API, account pages,
the admin, and any page answered to a signed-in user. A shared computer's
browser cache (or a proxy) must not keep a shelter's street address or an
expert's contacts after the person has left.

``Cache-Control: public, max-age=PUBLIC_CACHE_SECONDS`` on the answers that
are the same for every anonymous visitor (PUBLIC_ROUTES: the map viewport,
the taxonomies, an organisation's detail, the coverage figures, HSDS pages), so a browser
and the nginx micro-cache in front (deploy/nginx.conf) can answer repeats;
Django's ConditionalGetMiddleware gives them an ETag and answers 304 to a
conditional request. Only the content decides the ETag, so it says nothing
the answer does not. A searcher's own questions (SEARCH_ROUTES: the nearest
search and town autocomplete, whose URLs carry an origin or typed text) are
``no-store``: no cache on the way, nor the browser's, keeps them.

``Permissions-Policy`` turns off the browser features the site never uses.
Geolocation stays on for the site itself: the locator's "near me" button
(frontend/static/frontend/locator.js) asks for the position, in the browser.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers

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

# View names (namespace:name) whose anonymous GET answers are the same for everyone.
# Not the HTML pages: each carries a fresh Content-Security-Policy nonce, which
# a shared cache would hand to every visitor (and no two copies would match an ETag).
PUBLIC_ROUTES = frozenset(
    {
        "v1:locations",
        "v1:organisation",
        "v1:categories",
        "v1:target-groups",
        "v1:networks",
        "v1:coverage",
        "v1:coverage-towns",
    }
)
# Every HSDS read (api/hsds/urls.py, app_name "hsds") is public data.
PUBLIC_NAMESPACES = frozenset({"hsds"})
# Answers that repeat what a visitor asked (an origin, a typed name).
SEARCH_ROUTES = frozenset({"v1:nearest", "v1:places", "v1:place-nearest", "v1:interpret"})

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


def _route(request: HttpRequest) -> tuple[str, str]:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "", ""
    return match.view_name, match.namespace


def is_public(request: HttpRequest, response: HttpResponseBase) -> bool:
    """A shared cache may keep this answer: an anonymous GET of a public route
    that succeeded and sets no cookie (a cookie is somebody's own)."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.cookies:
        return False
    view_name, namespace = _route(request)
    return view_name in PUBLIC_ROUTES or namespace in PUBLIC_NAMESPACES


def SecurityHeadersMiddleware(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        if is_private(request, response):
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, private, max-age=0"
        elif is_public(request, response):
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
            # The language comes from Accept-Language or the language cookie.
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        elif _route(request)[0] in SEARCH_ROUTES:
            response["Cache-Control"] = "no-store, max-age=0"
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    return middleware

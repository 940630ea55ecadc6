"""Request plumbing for deployment: which database a request reads from, and who the client is behind the proxy."""

from __future__ import annotations

import random
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from locator.db_router import reads_from

# Set (with no identifying value) on the response to any request that may have
# written; while it lasts, that browser reads from the primary and so sees its
# own change even when the replicas lag behind.
PRIMARY_PIN_COOKIE = "hl_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def replica_for(request: HttpRequest) -> str | None:
    """The replica alias this request may read from, or None for the primary.

    Only anonymous reads go to a replica: a request that may write (any method
    but GET/HEAD/OPTIONS), one that carries a session (signed-in partners,
    coordinators and moderators, whose pages show their own recent edits), and
    one made within DATABASE_PRIMARY_PIN_SECONDS after that browser's last
    write all use the primary.
    """
    replicas: list[str] = settings.DATABASE_REPLICAS
    if not replicas or request.method not in SAFE_METHODS:
        return None
    if settings.SESSION_COOKIE_NAME in request.COOKIES or PRIMARY_PIN_COOKIE in request.COOKIES:
        return None
    # One replica for the whole request, so its reads are consistent with each
    # other; which one does not matter (spreading load, not security).
    return random.choice(replicas)  # noqa: S311


def ReadReplicaMiddleware(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    def middleware(request: HttpRequest) -> HttpResponseBase:
        with reads_from(replica_for(request)):
            response = get_response(request)
        if request.method not in SAFE_METHODS and settings.DATABASE_REPLICAS:
            response.set_cookie(
                PRIMARY_PIN_COOKIE,
                "1",
                max_age=settings.DATABASE_PRIMARY_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    return middleware


def client_ip(request: HttpRequest) -> str | None:
    """The client's address for login throttling (django-axes) behind the reverse proxy.

    deploy/nginx.conf overwrites X-Forwarded-For with the address it received
    the connection from, so the header holds exactly one trustworthy value.
    Used only when BEHIND_PROXY is on: without a proxy anyone could send the
    header and dodge the lock-out.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[-1].strip() or None
    remote: str | None = request.META.get("REMOTE_ADDR")
    return remote

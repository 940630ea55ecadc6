"""Request plumbing for deployment: which database a request reads from, and who the client is behind the proxy."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable, Mapping
from typing import Any, Protocol

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


class _HasMeta(Protocol):
    """A Django HttpRequest or a DRF Request."""

    @property
    def META(self) -> Mapping[str, Any]: ...


def client_ip(request: _HasMeta) -> str | None:
    """Who the client is, for every limit that keys on an address: the login
    lock-out (django-axes), the press request limit and the API throttles.

    Without BEHIND_PROXY the socket's address, whatever headers say: anyone can
    send X-Forwarded-For. With it, the last hop of X-Forwarded-For: the one the
    proxy in front wrote (deploy/nginx.conf overwrites the header with the
    address it received the connection from; a proxy that appends,
    $proxy_add_x_forwarded_for, also puts its own hop last, after whatever the
    client sent). A last hop that is not an address falls back to the socket's.
    """
    remote: str | None = request.META.get("REMOTE_ADDR") or None
    if settings.BEHIND_PROXY:
        hop = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            pass
    return remote

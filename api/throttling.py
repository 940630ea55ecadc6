"""API throttles: anonymous clients by address, signed-in users by account,
reads and writes separately.

Counted as fixed windows in the shared cache (locator/ratelimit.py), not as
DRF's per-request history lists: a history is read, appended to and written
back, so workers answering at once each see the old list and together let more
through than the rate. The client's address comes from locator.middleware.client_ip,
the one function that decides it (behind the proxy: the hop nginx set).
"""

from __future__ import annotations

import time
from typing import Any

from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from locator import ratelimit
from locator.middleware import client_ip


class _FixedWindowThrottle(SimpleRateThrottle):
    """``num_requests`` per window of ``duration`` seconds, windows aligned to the clock."""

    window_end: float = 0.0
    # Set by SimpleRateThrottle.__init__ from the scope's rate.
    num_requests: int
    duration: int

    def get_ident(self, request: Request) -> str:
        return client_ip(request) or ""

    def subject(self, request: Request) -> str | None:
        """What is counted (an address, an account), or None when this throttle does not apply."""
        raise NotImplementedError

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        subject = self.subject(request)
        if subject is None:
            return None
        window = int(time.time() // self.duration)
        self.window_end = (window + 1) * self.duration
        return self.cache_format % {"scope": self.scope, "ident": f"{subject}:{window}"}

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        if ratelimit.hit(key, window_s=self.duration + 1) > self.num_requests:
            ratelimit.undo(key)
            return False
        return True

    def wait(self) -> float:
        return max(1.0, self.window_end - time.time())


class AnonThrottle(_FixedWindowThrottle):
    scope = "anon"

    def subject(self, request: Request) -> str | None:
        return None if request.user and request.user.is_authenticated else self.get_ident(request)


class UserReadThrottle(_FixedWindowThrottle):
    """A partner's pages and the map read often: sized well above a person's use."""

    scope = "user_read"

    def subject(self, request: Request) -> str | None:
        if not (request.user and request.user.is_authenticated) or request.method not in SAFE_METHODS:
            return None
        return str(request.user.pk)


class UserWriteThrottle(_FixedWindowThrottle):
    """Edits, registrations and decisions: a person makes a few a minute, a runaway script many."""

    scope = "user_write"

    def subject(self, request: Request) -> str | None:
        if not (request.user and request.user.is_authenticated) or request.method in SAFE_METHODS:
            return None
        return str(request.user.pk)

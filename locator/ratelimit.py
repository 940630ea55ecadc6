"""Fixed-window counters in the shared cache (locator/cache.py), for the press
request limits and the API throttles: one atomic count per event, so N
workers answering at once let exactly the allowed number through."""

from __future__ import annotations

import contextlib

from django.core.cache import cache


def hit(key: str, *, window_s: int) -> int:
    """Count one event under ``key``; the count including this one.

    The window starts with the first event and lasts ``window_s`` seconds.
    The steady state is one atomic increment; a new key is added first.
    """
    try:
        count = int(cache.incr(key))
    except ValueError:  # no such key yet, or it has just expired
        if cache.add(key, 1, window_s):
            return 1
        count = int(cache.incr(key))  # another worker added it meanwhile
    if count == 1:
        # Redis's INCR on a key that expired between its existence check and
        # the increment creates it with no expiry: give it one.
        cache.touch(key, window_s)
    return count


def undo(key: str) -> None:
    """Take back one event (a refused request does not count against the next)."""
    with contextlib.suppress(ValueError):  # expired meanwhile: nothing to take back
        cache.decr(key)

"""Locks that every worker on every server agrees on.

A transaction-scoped PostgreSQL advisory lock: the second caller waits for the
first to commit (or roll back), then runs. Used where "is there already one?"
must be asked and answered by one writer at a time and no unique index can say
it (a registrant's second registration, a slug's next free number, the same
press request within an hour).
"""

from __future__ import annotations

import zlib

from django.db import connection


def _int32(text: str) -> int:
    # pg_advisory_xact_lock(int, int) takes two signed 32-bit keys.
    return zlib.crc32(text.encode()) - 2**31


def xact_lock(namespace: str, key: str) -> None:
    """Hold the lock on (namespace, key) until the current transaction ends.
    Two different keys may share a lock by hash collision: that costs a short
    wait, never a wrong answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_int32(namespace), _int32(key)])

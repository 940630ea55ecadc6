"""The shared cache: PostgreSQL's table by default, Redis when REDIS_URL is set.

Rate limits (the press request limits, the API throttles) count in it, so
every gunicorn worker and every app server must see the same counters.
Django's database cache makes ``incr`` a read and a write: two workers counting
at once both read 2 and both write 3, and a limit of 3 lets 4 through. Here
``incr`` reads the row under a lock and writes it back in one transaction, so
concurrent counts queue on the row (Redis's INCR is atomic by itself).
"""

from __future__ import annotations

import base64
import pickle
from typing import Any

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction
from django.utils.timezone import now as tz_now


class DatabaseCache(DjangoDatabaseCache):
    def __init__(self, table: str, params: dict[str, Any]) -> None:
        super().__init__(table, params)
        # Our own copy of the table's name (Django keeps it in a private attribute).
        self.table_name = table

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self.table_name)
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT value FROM {table} WHERE cache_key = %s AND expires >= %s FOR UPDATE",  # noqa: S608 - our table name
                [key, connection.ops.adapt_datetimefield_value(tz_now())],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found.")
            value = pickle.loads(base64.b64decode(connection.ops.process_clob(row[0]).encode())) + delta  # noqa: S301 - our own rows
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET value = %s WHERE cache_key = %s", [encoded, key])  # noqa: S608
        return int(value)

"""Read replicas: public reads go to a streaming standby, everything else to the primary.

Which requests may read from a replica is decided once per request by
``locator.middleware.ReadReplicaMiddleware``, which stores the chosen replica's
alias here for the duration of the request. Outside a request (management
commands, the shell, scheduled jobs) nothing is set, so everything uses the
primary: a command that reads and then writes must not read stale rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

# The replica this request reads from; None: the primary.
_read_alias: ContextVar[str | None] = ContextVar("helplocator_read_alias", default=None)


@contextmanager
def reads_from(alias: str | None) -> Iterator[None]:
    """Send the reads inside the block to ``alias`` (a replica), or to the primary with None."""
    token = _read_alias.set(alias)
    try:
        yield
    finally:
        _read_alias.reset(token)


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        alias = _read_alias.get()
        if alias is None:
            return DEFAULT_DB_ALIAS
        # Inside a transaction on the primary a read must see that transaction's
        # own writes (and select_for_update must lock the primary's rows).
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        # Every alias holds the same data (physical replication).
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        # A standby is read-only; it receives the schema by replication.
        return db == DEFAULT_DB_ALIAS

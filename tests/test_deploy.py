"""Production configuration: settings from the environment pass Django's
deployment checks; the logs are JSON lines that never carry a search origin or
personal data; the compose file, systemd units, reverse-proxy configuration and
image agree with the code they run."""

from __future__ import annotations

import configparser
import datetime as dt
import io
import json
import logging
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from django.conf import settings as django_settings
from django.contrib.gis.geos import Point
from django.core.management import get_commands
from django.test import RequestFactory
from rest_framework.test import APIClient

from locator.log import GunicornLogger, JsonFormatter, scrub
from locator.middleware import client_ip
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent


# --- settings ---------------------------------------------------------------------


def _production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "DATABASE_REPLICA"))}
    env.pop("BEHIND_PROXY", None)
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SETTINGS_MODULE="locator.settings",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="help.example.org",
        BEHIND_PROXY="true",
    )
    env.update(extra)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


PROBE = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in [
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER", "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS", "DATABASE_REPLICAS", "DATABASE_ROUTERS", "AXES_CLIENT_IP_CALLABLE", "BEHIND_PROXY",
]} | {"staticfiles": s.STORAGES["staticfiles"]["BACKEND"],
      "replica_hosts": [s.DATABASES[a]["PORT"] for a in s.DATABASE_REPLICAS],
      "replica_test": [s.DATABASES[a]["TEST"] for a in s.DATABASE_REPLICAS]}))
"""


def _probe(env: dict[str, str]) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603 - fixed probe script
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    probed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return probed


def test_check_deploy_passes_with_production_settings() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    output = result.stdout + result.stderr
    assert not re.findall(r"security\.\w\d+", output), output
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_production_settings_are_hardened_and_behind_the_proxy() -> None:
    probed = _probe(_production_env(DATABASE_REPLICA_URLS="postgis://u@10.0.0.2:5432/db, postgis://u@10.0.0.3:5433/db"))
    assert probed["DEBUG"] is False
    assert probed["SECURE_SSL_REDIRECT"] is True
    assert probed["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert probed["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and probed["SECURE_HSTS_PRELOAD"]
    assert probed["SESSION_COOKIE_SECURE"] and probed["CSRF_COOKIE_SECURE"]
    assert probed["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert probed["AXES_CLIENT_IP_CALLABLE"] == "locator.middleware.client_ip"
    assert probed["BEHIND_PROXY"] is True
    assert probed["staticfiles"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert probed["DATABASE_REPLICAS"] == ["replica1", "replica2"]
    assert probed["replica_hosts"] == [5432, 5433]
    assert [test["MIRROR"] for test in probed["replica_test"]] == ["default", "default"]
    assert probed["DATABASE_ROUTERS"] == ["locator.db_router.ReplicaRouter"]


def test_without_a_proxy_no_forwarded_header_is_trusted() -> None:
    probed = _probe(_production_env(BEHIND_PROXY="false"))
    assert probed["SECURE_PROXY_SSL_HEADER"] is None
    # The one client-address function (locator.middleware.client_ip) reads
    # BEHIND_PROXY itself: tests/test_client_address.py.
    assert probed["BEHIND_PROXY"] is False


def test_development_defaults_serve_plain_http() -> None:
    env = {k: v for k, v in _production_env().items() if k not in {"SECRET_KEY", "BEHIND_PROXY"}}
    probed = _probe({**env, "DJANGO_DEBUG": "true"})
    assert probed["DEBUG"] is True
    assert probed["SECURE_SSL_REDIRECT"] is False and probed["SECURE_HSTS_SECONDS"] == 0
    assert probed["SESSION_COOKIE_SECURE"] is False
    assert probed["DATABASE_REPLICAS"] == []


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = _production_env()
    del env["SECRET_KEY"]
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_client_address_behind_the_proxy_is_the_one_it_set(settings: Any) -> None:
    settings.BEHIND_PROXY = True
    factory = RequestFactory()
    assert client_ip(factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.4")) == "198.51.100.4"
    # Whatever a client put first, the proxy's own value is the last one.
    spoofed = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.4")
    assert client_ip(spoofed) == "198.51.100.4"
    assert client_ip(factory.get("/", REMOTE_ADDR="192.0.2.1")) == "192.0.2.1"


# --- logs -------------------------------------------------------------------------

LAT, LON = "57.81234", "28.34567"
PLACE_RU, PLACE_EN = "Ззызхвиль", "Zzyzxville"
CLIENT = "203.0.113.77"
# Every way the origin or the client could show: the coordinates (also rounded),
# the place in both scripts and URL-encoded, the address, the browser.
SECRETS = (LAT, LON, "57.812", "28.345", PLACE_RU, PLACE_EN, "%D0%97%D0%B7", CLIENT, "DistinctiveAgent")


@pytest.fixture
def all_log_output() -> Iterator[io.StringIO]:
    """Every log line the configured handlers write, at DEBUG, the most an operator can ask for.

    The handlers of settings.LOGGING (root, django.request, django.server) write
    into the yielded buffer for the test; the levels the configuration fixes
    (django.db.backends) are left as they are.
    """
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in django_settings.LOGGING["loggers"])]
    handlers = {
        h
        for lg in loggers
        for h in lg.handlers
        if isinstance(h, logging.StreamHandler) and isinstance(h.formatter, JsonFormatter)
    }
    assert handlers, "settings.LOGGING configures no JSON handler"
    buffer = io.StringIO()
    old_streams = {h: h.setStream(buffer) for h in handlers}
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.setLevel(old_level)
        for h, stream in old_streams.items():
            h.setStream(stream)


def _gunicorn_logger() -> GunicornLogger:
    from gunicorn.config import Config

    conf: dict[str, Any] = {}
    exec((ROOT / "deploy" / "gunicorn.conf.py").read_text(), conf)  # noqa: S102 - our own config file
    assert conf["logger_class"] == "locator.log.GunicornLogger"
    cfg = Config()
    for key in ("accesslog", "errorlog", "loglevel", "access_log_format"):
        cfg.set(key, conf[key])
    return GunicornLogger(cfg)


@pytest.mark.django_db
def test_logs_never_carry_a_search_origin(all_log_output, capsys, settings, monkeypatch) -> None:
    settings.DEBUG = True  # would log every SQL statement with its parameters, were it not capped
    f.PlaceFactory(name=PLACE_EN, name_ru=PLACE_RU, point=Point(28.34567, 57.81234, srid=4326))
    f.LocationFactory(point=Point(28.33, 57.82, srid=4326))
    api = APIClient(raise_request_exception=False)
    headers = {"REMOTE_ADDR": CLIENT, "HTTP_USER_AGENT": "DistinctiveAgent/9", "HTTP_X_FORWARDED_FOR": CLIENT}

    assert api.get("/api/v1/nearest", {"lat": LAT, "lon": LON}, **headers).status_code == 200
    assert api.get("/api/v1/nearest", {"place": PLACE_RU}, **headers).status_code == 200
    assert api.get("/api/v1/nearest", {"place": PLACE_EN + "q"}, **headers).status_code in {200, 400}
    assert api.get("/api/v1/nearest", {"lat": "91", "lon": LON}, **headers).status_code == 400
    assert api.get("/api/v1/places", {"q": PLACE_RU[:5]}, **headers).status_code == 200
    assert api.get("/", {"lat": LAT, "lon": LON, "place": PLACE_RU}, **headers).status_code == 200

    # A server error inside the search, whose exception message carries the origin.
    def broken(**kwargs: Any) -> None:
        raise RuntimeError(f"search failed near {LAT},{LON} ({PLACE_RU}) for {CLIENT}")

    monkeypatch.setattr("orgs.search.nearest.nearest_answer", broken)
    assert api.get("/api/v1/nearest", {"lat": LAT, "lon": LON}, **headers).status_code == 500

    # runserver's request line (development) and gunicorn's logs (production).
    query = f"lat={LAT}&lon={LON}&place=%D0%97%D0%B7"
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /api/v1/nearest?{query} HTTP/1.1", "200", "512", extra={"status_code": 200}
    )
    glog = _gunicorn_logger()
    for handler in (*glog.error_log.handlers, *glog.access_log.handlers):
        assert isinstance(handler.formatter, JsonFormatter)
        assert handler.stream is sys.stdout  # the error log too: stdout, not stderr
        handler.setStream(all_log_output)
    try:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/api/v1/nearest",
            "QUERY_STRING": query,
            "RAW_URI": f"/api/v1/nearest?{query}",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": CLIENT,
            "HTTP_REFERER": f"https://help.example.org/?{query}",
            "HTTP_USER_AGENT": "DistinctiveAgent/9",
        }
        glog.access(SimpleNamespace(status="200 OK", sent=512), None, environ, dt.timedelta(milliseconds=12))
        glog.error("Invalid request from ip=%s: %s", CLIENT, f"/api/v1/nearest?{query}")
    finally:
        for lg in (glog.error_log, glog.access_log):
            for handler in list(lg.handlers):
                lg.removeHandler(handler)

    captured = capsys.readouterr()
    logged = all_log_output.getvalue()
    output = logged + captured.out + captured.err
    for secret in SECRETS:
        assert secret not in output, f"{secret!r} leaked into the logs:\n{output}"

    records = [json.loads(line) for line in logged.splitlines()]
    by_logger: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_logger.setdefault(record["logger"], []).append(record)
    # The lines were written (the test would pass vacuously otherwise) and say what an operator needs.
    error = by_logger["django.request"][-1]
    assert error["level"] == "ERROR" and error["status_code"] == 500
    assert error["exc_type"] == "builtins.RuntimeError" and "exc_message" not in error
    assert any("selectors" in frame or "test_deploy" in frame for frame in error["stack"])
    assert by_logger["django.server"][-1]["message"].startswith('"GET /api/v1/nearest?… HTTP/1.1" 200')
    access = by_logger["gunicorn.access"][-1]
    assert access["method"] == "GET" and access["path"] == "/api/v1/nearest" and access["status"] == 200
    assert access["bytes"] == 512 and access["duration_ms"] == 12.0
    assert by_logger["gunicorn.error"][-1]["message"] == "Invalid request from ip=[ip]: /api/v1/nearest?…"
    assert "django.db.backends" not in by_logger


def test_the_formatter_writes_only_its_own_fields() -> None:
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Bad: %s", ("/x?lat=1",), None)
    record.request = SimpleNamespace(path="/x?lat=57.81234", META={"REMOTE_ADDR": CLIENT})
    record.status_code = 400
    record.username = "someone@example.org"
    entry = json.loads(JsonFormatter().format(record))
    assert set(entry) == {"time", "level", "logger", "message", "status_code"}
    assert entry["message"] == "Bad: /x?…"
    assert scrub("mail a.b@example.org from 2001:db8::1 or 192.0.2.10 at 57.812345") == (
        "mail [email] from [ip] or [ip] at [number]"
    )
    # Clock times are not addresses.
    assert scrub("started 09:46:48") == "started 09:46:48"


def test_login_failures_are_logged_without_who_or_where() -> None:
    from locator.log import axes_client_str

    text = axes_client_str("someone@example.org", CLIENT, "DistinctiveAgent/9", ("/accounts/login/",), None)
    assert text == '{path_info: "/accounts/login/"}'
    assert django_settings.AXES_CLIENT_STR_CALLABLE == "locator.log.axes_client_str"


# --- compose, image, systemd, proxy -----------------------------------------------


def _settings_env_names() -> set[str]:
    source = (ROOT / "locator" / "settings.py").read_text()
    return set(re.findall(r'env_(?:str|int|bool|list)\(\s*"([A-Z0-9_]+)"', source))


GUNICORN_ENV = {"GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_LOG_LEVEL", "FORWARDED_ALLOW_IPS"}
JOBS_ENV = {"PUBLIC_BASE_URL"}


def test_compose_runs_postgis_and_the_app_with_production_settings() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert services["db"]["image"] == "postgis/postgis:15-3.4"
    assert "healthcheck" in services["db"]
    app = services["app"]
    assert app["build"] == "."
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "migrate --no-input" in " ".join(services["migrate"]["command"])
    # Published on the host's loopback only: the reverse proxy is the way in.
    assert all(str(port).startswith("127.0.0.1:") for port in app["ports"])
    env = app["environment"]
    assert env["DJANGO_DEBUG"] == "false" and env["BEHIND_PROXY"] == "true"
    assert env["DATABASE_URL"].startswith("postgis://") and "@db:5432/" in env["DATABASE_URL"]
    # Every variable it sets is one the settings, gunicorn or the jobs read.
    unknown = set(env) - _settings_env_names() - GUNICORN_ENV - JOBS_ENV
    assert not unknown, unknown
    for name in ("SECRET_KEY", "ALLOWED_HOSTS"):
        assert ":?" in env[name], f"{name} must be required, not defaulted"
    assert services["jobs"]["command"] == ["deploy/jobs.sh"]


def test_the_image_runs_gunicorn_unprivileged_with_static_files_built_in() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim-bookworm" in dockerfile
    assert "collectstatic --no-input" in dockerfile and "compilemessages" in dockerfile
    assert re.search(r"^USER helplocator$", dockerfile, re.M)
    assert 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "locator.wsgi"]' in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    for private in (".pgdata", ".pgreplica", ".venv", ".git", ".env"):
        assert private in ignored


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def test_systemd_units_cover_every_scheduled_job_in_the_readme() -> None:
    units = ROOT / "deploy" / "systemd"
    app = _unit(units / "help-locator.service")
    assert "gunicorn -c deploy/gunicorn.conf.py locator.wsgi" in app["Service"]["ExecStart"]
    assert app["Service"]["User"] == "helplocator" and app["Service"]["EnvironmentFile"]

    scheduled: set[str] = set()
    for timer_path in sorted(units.glob("*.timer")):
        timer = _unit(timer_path)
        service_path = units / timer["Timer"]["Unit"]
        assert service_path.exists(), f"{timer_path.name} starts a missing {service_path.name}"
        assert timer["Timer"]["OnCalendar"]
        exec_start = _unit(service_path)["Service"]["ExecStart"]
        if match := re.search(r"manage\.py (\w+)", exec_start):
            assert match.group(1) in get_commands(), exec_start
            scheduled.add(match.group(1))
        else:
            assert exec_start.endswith("deploy/backup.sh")
    readme = (ROOT / "docs" / "deploy.md").read_text()
    section = readme.split("## Scheduled jobs", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"manage\.py (\w+)", section))
    assert listed and listed <= scheduled, listed - scheduled


def test_the_reverse_proxy_logs_no_query_strings_and_sets_the_forwarded_headers() -> None:
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    log_format = conf.split("log_format helplocator", 1)[1].split(";", 1)[0]
    for leaky in ("$request ", "$request_uri", "$args", "$query_string", "$remote_addr", "$http_referer", "$arg_"):
        assert leaky not in log_format
    assert '"path":"$uri"' in log_format
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    # Overwritten with the peer's address, never appended to what the client sent.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    directives = [line for line in conf.splitlines() if not line.strip().startswith("#")]
    assert not [line for line in directives if "$proxy_add_x_forwarded_for" in line]
    assert "access_log /var/log/nginx/help-locator.access.log helplocator;" in conf


def test_gunicorn_workers_freeze_what_they_loaded() -> None:
    import gc

    conf: dict[str, Any] = {}
    exec((ROOT / "deploy" / "gunicorn.conf.py").read_text(), conf)  # noqa: S102 - our own config file
    gc.unfreeze()
    try:
        conf["post_worker_init"](object())
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()

"""What scripts/loadtest.py runs against, all started by itself on loopback:
its own PostGIS cluster (never the project's), a database with the seed,
synthetic locations and partner users, and gunicorn with the production
settings. The clients, the fault and the report are in loadtest.py."""

from __future__ import annotations

import http.client
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PGDATA = ROOT / "var" / "loadtest-pg"
PROJECT_PGDATA = ROOT / ".pgdata"
PROJECT_PGPORT = 54329
DATABASE = "helplocator_loadtest"
PARTNER_PASSWORD = "loadtest-partner-password-1"
OUTAGE_SECONDS = 10.0
RECOVERY_LIMIT_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 30.0
# After a failed request a client waits a little, as a browser would not retry
# in a tight loop (the 503 carries Retry-After).
BACKOFF_SECONDS = 0.2

KINDS = ("nearest", "viewport", "organisation_page", "partner_edit")
# Share of each kind of request for anonymous visitors and for signed-in partners.
ANONYMOUS_MIX = {"nearest": 40, "viewport": 35, "organisation_page": 25}
PARTNER_MIX = {"partner_edit": 60, "nearest": 15, "viewport": 15, "organisation_page": 10}


def log(message: str) -> None:
    print(f"==> {message}", flush=True)


def fail(message: str) -> None:
    print(f"loadtest: {message}", file=sys.stderr)
    raise SystemExit(2)


# --- safety -----------------------------------------------------------------------------


def require_loopback(host: str) -> None:
    """The load goes to this machine only: refuse any other address."""
    try:
        address = ipaddress.ip_address(socket.gethostbyname(host))
    except (OSError, ValueError):
        fail(f"cannot resolve {host!r}")
    if not address.is_loopback:
        fail(f"{host} ({address}) is not a loopback address: this script loads only this machine")


def require_private_cluster(pg_port: int) -> None:
    if pg_port == PROJECT_PGPORT or PGDATA.resolve() == PROJECT_PGDATA.resolve():
        fail("the load test uses its own PostgreSQL cluster, never the project's (port 54329, .pgdata)")


# --- the private PostGIS cluster --------------------------------------------------------


def run(cmd: list[str], *, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, check=check, capture_output=True, text=True)  # noqa: S603 - fixed argv


def as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, the cluster belongs to "postgres"."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def pg_ctl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(PGDATA), *args]), check=check)


def cluster_running() -> bool:
    return pg_ctl("status", check=False).returncode == 0


def ensure_cluster(pg_port: int) -> None:
    if os.geteuid() == 0:
        # The postgres user must be able to reach the data folder (as ./dev does).
        folder = PGDATA.parent
        folder.mkdir(parents=True, exist_ok=True)
        for parent in [folder, *folder.parents]:
            if run(["runuser", "-u", "postgres", "--", "test", "-x", str(parent)], check=False).returncode:
                parent.chmod(parent.stat().st_mode | 0o001)
    if not (PGDATA / "PG_VERSION").exists():
        log(f"Creating the load test's own PostGIS cluster in {PGDATA.relative_to(ROOT)} (port {pg_port})")
        PGDATA.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(PGDATA, "postgres", "postgres")
        PGDATA.chmod(0o700)
        initdb = [str(PG_BIN / "initdb"), "-D", str(PGDATA), "-U", "postgres", "--auth=trust"]
        run(as_postgres([*initdb, "--encoding=UTF8", "--locale=C.UTF-8"]))
        with (PGDATA / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                "\n# Help Locator load test: loopback only, its own port and socket.\n"
                f"listen_addresses = '127.0.0.1'\nport = {pg_port}\nunix_socket_directories = '{PGDATA}'\n"
                "max_connections = 200\nshared_buffers = 256MB\nwork_mem = 16MB\nrandom_page_cost = 1.1\n"
            )
    if not cluster_running():
        log("Starting the load test's PostGIS cluster")
        pg_ctl("-l", str(PGDATA / "server.log"), "-w", "-t", "60", "start")
    psql = [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres", "-tAc"]
    exists = run([*psql, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"]).stdout.strip()  # noqa: S608
    if exists != "1":
        run([*psql, f"CREATE DATABASE {DATABASE}"])


# --- the application's environment ------------------------------------------------------


def app_environment(*, pg_port: int, host: str, port: int, workers: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "TEST_DATABASE"))}
    env.update(
        DJANGO_SETTINGS_MODULE="locator.settings",
        DATABASE_URL=f"postgis://postgres@127.0.0.1:{pg_port}/{DATABASE}",
        DJANGO_DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=host,
        # Plain HTTP on loopback: no redirect to https, cookies not marked Secure.
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        SECURE_HSTS_SECONDS="0",
        # One machine plays every visitor: the per-client throttle would stop it at once.
        API_ANON_RATE="1000000/second",
        API_USER_READ_RATE="1000000/second",
        API_USER_WRITE_RATE="1000000/second",
        GUNICORN_BIND=f"{host}:{port}",
        GUNICORN_WORKERS=str(workers),
        LOG_LEVEL="WARNING",
        # Notifications (a listing published) are not the subject here.
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    return env


def prepare_database(*, synthetic: int, partners: int) -> dict[str, Any]:
    """Migrate and fill the load test's database; return what the clients use.
    Runs Django in this process, with the environment already pointing at the
    private cluster."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from orgs import models as m
    from orgs import services
    from orgs.bench import generator

    log("Migrating, loading the gazetteer")
    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable")  # the shared cache (rate limits, throttles)
    call_command("load_gazetteer", "--if-empty", verbosity=0)
    if synthetic and not m.Organisation.objects.exists():
        log(f"Generating {synthetic} synthetic locations")
        generator.generate(size=synthetic, seed=1, product_db="helplocator")
    log("Loading the seed")
    call_command("load_seed", verbosity=0)
    log("Collecting static files (production settings serve them from var/static)")
    call_command("collectstatic", "--no-input", verbosity=0)

    admin, _ = User.objects.get_or_create(username="loadtest-admin", defaults={"is_superuser": True})
    accounts = []
    for n in range(partners):
        username = f"loadtest-partner-{n}@example.org"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username, username, PARTNER_PASSWORD)
        access = m.OrganisationAccess.objects.filter(user=user).select_related("organisation").first()
        if access is None:
            org = services.organisation_register(
                user=user,
                data={
                    "name": f"АНО «Нагрузочный тест {n}»",
                    "description": "Организация для нагрузочного теста.",
                    "locations": [{"lat": 55.75 + n / 100, "lon": 37.6, "city": "Москва", "address": f"ул. Тест, {n}"}],
                    "services": [{"name": "Консультация", "categories": ["psychological-help"], "formats": ["online"]}],
                },
                confirm_not_duplicate=True,
            )
            services.organisation_moderate(user=admin, organisation=org, status="published")
        else:
            org = access.organisation
        accounts.append({"username": username, "slug": org.slug})

    origins = [(p.point.y, p.point.x) for p in m.Place.objects.filter(population__gte=50_000).order_by("pk")[:300]]
    places = list(
        m.Place.objects.filter(population__gte=100_000).exclude(name_ru="").values_list("name_ru", flat=True)[:50]
    )
    slugs = list(
        m.Organisation.objects.filter(status=m.PublicationStatus.PUBLISHED).values_list("slug", flat=True)[:500]
    )
    categories = list(m.Category.objects.values_list("slug", flat=True))
    counts = {"locations": m.Location.objects.count(), "organisations": m.Organisation.objects.count()}
    connection.close()
    return {
        "accounts": accounts,
        "origins": origins,
        "places": places,
        "slugs": slugs,
        "categories": categories,
        "counts": counts,
    }


def verify_acknowledged_edits(acknowledged: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each acknowledged edit's unique description, looked up in the recorded
    history of its organisation; returns the ones missing."""
    from django.db import connection

    from orgs import models as m

    connection.close()  # the connection from before the run may predate the restart
    found: set[tuple[str, str]] = set()
    by_slug: dict[str, list[str]] = defaultdict(list)
    for slug, token in acknowledged:
        by_slug[slug].append(token)
    for slug, tokens in by_slug.items():
        org = m.Organisation.objects.get(slug=slug)
        found.update(
            (slug, d) for d in org.history.filter(description__in=tokens).values_list("description", flat=True)
        )
    return [edit for edit in acknowledged if edit not in found]


# --- gunicorn ---------------------------------------------------------------------------


def start_gunicorn(env: dict[str, str], host: str, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    with socket.socket() as probe:
        if probe.connect_ex((host, port)) == 0:
            fail(f"{host}:{port} is already in use; pick another --port")
    log(f"Starting gunicorn ({env['GUNICORN_WORKERS']} workers) on http://{host}:{port}")
    log_file = log_path.open("wb")
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        [str(VENV / "bin" / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "locator.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"gunicorn exited at start; see {log_path}")
        try:
            conn = http.client.HTTPConnection(host, port, timeout=5)
            conn.request("GET", "/api/v1/categories")
            if conn.getresponse().status == 200:
                conn.close()
                return process
            conn.close()
        except OSError:
            pass
        time.sleep(0.5)
    stop_gunicorn(process)
    fail(f"gunicorn did not answer within 60 s; see {log_path}")
    raise AssertionError  # unreachable


def stop_gunicorn(process: subprocess.Popen[bytes]) -> None:
    """Stop the gunicorn this script started (its own process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

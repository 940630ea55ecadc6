#!/usr/bin/env python3
"""Load and fault test on loopback: mixed traffic against gunicorn, optionally
with the database stopped for ten seconds in the middle.

    .venv/bin/python scripts/loadtest.py                     # 30 s, 32 clients
    .venv/bin/python scripts/loadtest.py --duration 30 --fault

It runs only on this machine and only against things it starts itself:

1. its own PostGIS cluster in var/loadtest-pg on port 54339 (loopback only;
   initdb on the first run, as the "postgres" user when run as root, like
   ./dev), never the project's cluster on 54329;
2. a database there with the migrations, the gazetteer, the seed, a few
   thousand synthetic locations (orgs/bench/generator.py) and partner users
   who own an organisation each;
3. gunicorn with deploy/gunicorn.conf.py (production settings: DEBUG off,
   several workers) on a loopback port, with the anonymous throttle raised
   (API_ANON_RATE) so that one machine may send thousands of requests;
4. many concurrent clients for a fixed time: nearest searches, map viewports,
   organisation pages (HTML) and partner edits through the partner API (a
   session from the sign-in form, the CSRF token in a header), each edit
   writing a unique description.

With --fault it stops PostgreSQL (pg_ctl stop -m fast) a third of the way in
and starts it again ten seconds later, then checks: every request in the
outage got a clean 503 (JSON from the API, a short page from the site; no
traceback, no 500); the service answered again within 5 seconds of the
database returning, without restarting gunicorn; every edit acknowledged
with a 2xx is in the database afterwards (each unique description is looked
up in the organisation's recorded history).

--fault also takes the mail server down (scripts/smtp_outage.py): a local SMTP
server refuses (421) for the first half of the run, then accepts; sign-up
clients register new addresses throughout, gunicorn and a ``send_outbox
--loop`` process deliver through it, and every acknowledged sign-up's mail
must arrive exactly once.

It prints throughput, p50/p95/p99 per kind of request and errors per kind,
and exits non-zero when any check fails (without --fault: any error at all).
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import smtp_outage  # scripts/ is on the path when this file runs

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


# --- the clients ------------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    started: float
    ended: float
    status: int  # 0: no HTTP answer
    outcome: str  # "ok", "503 clean" or an error's description
    example: str = ""  # for an error: the request and the start of the answer


@dataclass
class Shared:
    data: dict[str, Any]
    host: str
    port: int
    stop_at: float = 0.0  # set when every partner has signed in and the clock starts
    go: threading.Event = field(default_factory=threading.Event)
    results: list[Result] = field(default_factory=list)
    acknowledged: list[tuple[str, str]] = field(default_factory=list)
    unacknowledged: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _clean_503(kind: str, content_type: str, body: bytes) -> bool:
    """A 503 as the service promises it: JSON with a detail from the API, a
    page from the site; never a traceback or Django's debug page."""
    text = body.decode("utf-8", "replace")
    if "Traceback" in text or "Exception Value" in text:
        return False
    if kind == "organisation_page":
        return content_type.startswith("text/html")
    try:
        return content_type.startswith("application/json") and "detail" in json.loads(text)
    except ValueError:
        return False


class Client(threading.Thread):
    def __init__(self, number: int, shared: Shared, account: dict[str, str] | None) -> None:
        super().__init__(name=f"client-{number}", daemon=True)
        self.number = number
        self.shared = shared
        self.account = account
        self.rng = random.Random(number)  # noqa: S311 - traffic shape, not security
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None
        self.edits = 0
        self.token = ""
        self.login_error: str | None = None
        self.signed_in = threading.Event()

    # HTTP with a keep-alive connection and a cookie jar of its own.
    def _request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str, bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    self.shared.host, self.shared.port, timeout=REQUEST_TIMEOUT_SECONDS
                )
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection: open a new one once.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return response.status, response.getheader("Content-Type", ""), data
        raise AssertionError  # unreachable

    def sign_in(self) -> None:
        assert self.account is not None
        status, _, page = self._request("GET", "/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or match is None:
            raise RuntimeError(f"sign-in page answered {status}")
        form = urlencode(
            {
                "username": self.account["username"],
                "password": PARTNER_PASSWORD,
                "csrfmiddlewaretoken": match.group(1).decode(),
            }
        ).encode()
        status, _, _ = self._request(
            "POST", "/accounts/login/", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"sign-in answered {status}")

    # One request of each kind.
    def nearest(self) -> tuple[str, str, bytes | None, dict[str, str]]:
        data = self.shared.data
        params: dict[str, Any] = {"k": 10}
        if data["places"] and self.rng.random() < 0.15:
            params["place"] = self.rng.choice(data["places"])
        else:
            lat, lon = self.rng.choice(data["origins"])
            params.update(
                lat=round(lat + self.rng.uniform(-0.3, 0.3), 5), lon=round(lon + self.rng.uniform(-0.3, 0.3), 5)
            )
        if self.rng.random() < 0.3:
            params["category"] = self.rng.choice(data["categories"])
        return "GET", "/api/v1/nearest?" + urlencode(params), None, {}

    def viewport(self) -> tuple[str, str, bytes | None, dict[str, str]]:
        lat, lon = self.rng.choice(self.shared.data["origins"])
        zoom = self.rng.randint(4, 13)
        width = min(360 / 2**zoom * 4, 80.0)
        height = min(width / 2, 40.0)
        minlat, maxlat = max(lat - height / 2, -89.0), min(lat + height / 2, 89.0)
        minlon, maxlon = lon - width / 2, lon + width / 2
        minlon = minlon + 360 if minlon < -180 else minlon
        maxlon = maxlon - 360 if maxlon > 180 else maxlon
        bbox = ",".join(f"{v:.4f}" for v in (minlon, minlat, maxlon, maxlat))
        return "GET", "/api/v1/locations?" + urlencode({"in_bbox": bbox, "zoom": zoom}), None, {}

    def organisation_page(self) -> tuple[str, str, bytes | None, dict[str, str]]:
        return "GET", f"/o/{self.rng.choice(self.shared.data['slugs'])}/", None, {}

    def partner_edit(self) -> tuple[str, str, bytes | None, dict[str, str]]:
        assert self.account is not None
        self.edits += 1
        self.token = f"Нагрузочный тест: клиент {self.number}, правка {self.edits}, {secrets.token_hex(4)}"
        body = json.dumps({"description": self.token}).encode()
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.cookies.get("csrftoken", "")}
        return "PATCH", f"/api/v1/partner/organisations/{self.account['slug']}", body, headers

    def run(self) -> None:
        # Partners sign in before the clock starts, so that the outage never
        # falls on a sign-in (a measured request of its own kind).
        if self.account is not None:
            try:
                self.sign_in()
            except (OSError, RuntimeError, http.client.HTTPException) as exc:
                self.login_error = str(exc)
        self.signed_in.set()
        self.shared.go.wait()
        if self.login_error:
            return
        mix = PARTNER_MIX if self.account is not None else ANONYMOUS_MIX
        kinds, weights = list(mix), list(mix.values())
        while time.monotonic() < self.shared.stop_at:
            kind = self.rng.choices(kinds, weights)[0]
            method, path, body, headers = getattr(self, kind)()
            started = time.monotonic()
            try:
                status, content_type, data = self._request(method, path, body, headers)
            except (OSError, http.client.HTTPException) as exc:
                status, content_type, data = 0, "", type(exc).__name__.encode()
            ended = time.monotonic()
            if status == 200:
                outcome = "ok"
            elif status == 503 and _clean_503(kind, content_type, data):
                outcome = "503 clean"
            elif status == 0:
                outcome = f"no answer ({data.decode()})"
            else:
                outcome = f"HTTP {status}" + (" with a traceback" if b"Traceback" in data else "")
            example = "" if outcome in ("ok", "503 clean") else f"{method} {path} -> {data[:200]!r}"
            with self.shared.lock:
                self.shared.results.append(Result(kind, started, ended, status, outcome, example))
                if kind == "partner_edit":
                    edit = (self.account["slug"], self.token)  # type: ignore[index]
                    (self.shared.acknowledged if 200 <= status < 300 else self.shared.unacknowledged).append(edit)
            if outcome != "ok":
                time.sleep(BACKOFF_SECONDS)
        if self.conn is not None:
            self.conn.close()


# --- the fault --------------------------------------------------------------------------


@dataclass
class Outage:
    stopped_at: float = 0.0  # pg_ctl stop began
    down_at: float = 0.0  # pg_ctl stop returned: the database is down
    started_at: float = 0.0  # pg_ctl start began
    up_at: float = 0.0  # pg_ctl start -w returned: it accepts connections again
    error: str | None = None


def inject_fault(at: float, outage: Outage) -> None:
    time.sleep(max(0.0, at - time.monotonic()))
    try:
        outage.stopped_at = time.monotonic()
        pg_ctl("-m", "fast", "-w", "stop")
        outage.down_at = time.monotonic()
        time.sleep(max(0.0, OUTAGE_SECONDS - (outage.down_at - outage.stopped_at)))
        outage.started_at = time.monotonic()
        pg_ctl("-l", str(PGDATA / "server.log"), "-w", "-t", "60", "start")
        outage.up_at = time.monotonic()
    except subprocess.CalledProcessError as exc:
        outage.error = f"{exc.cmd}: {exc.stderr.strip()}"


# --- the report -------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def print_table(results: list[Result], seconds: float) -> None:
    header = (
        f"{'kind':<18} {'requests':>8} {'ok':>7} {'503 clean':>9} {'errors':>6} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    )
    print(header)
    print("-" * len(header))
    for kind in (*KINDS, "all"):
        rows = [r for r in results if kind in ("all", r.kind)]
        if not rows:
            continue
        ok = [(r.ended - r.started) * 1000 for r in rows if r.outcome == "ok"]
        clean = sum(r.outcome == "503 clean" for r in rows)
        errors = len(rows) - len(ok) - clean
        print(
            f"{kind:<18} {len(rows):>8} {len(ok):>7} {clean:>9} {errors:>6} "
            f"{percentile(ok, 50):>7.1f} {percentile(ok, 95):>7.1f} {percentile(ok, 99):>7.1f}"
        )
    print(f"throughput: {len(results) / seconds:.1f} requests/s over {seconds:.1f} s (latencies of answered requests)")
    kinds_of_error = Counter((r.kind, r.outcome) for r in results if r.outcome != "ok")
    if kinds_of_error:
        print("not ok, by kind:")
        for (kind, outcome), n in sorted(kinds_of_error.items()):
            print(f"  {kind:<18} {outcome:<40} {n:>6}")
        examples = {r.outcome: r.example for r in results if r.example}
        for outcome, example in sorted(examples.items()):
            print(f"  e.g. {outcome}: {example}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (default 30)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--partners", type=int, default=8, help="of them, signed-in partners who edit (default 8)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to serve on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    parser.add_argument("--pg-port", type=int, default=54339, help="the private cluster's port (default 54339)")
    parser.add_argument("--synthetic", type=int, default=3000, help="synthetic locations on the first run (3000)")
    parser.add_argument("--fault", action="store_true", help="stop PostgreSQL for 10 s during the load")
    parser.add_argument("--keep-running", action="store_true", help="leave the private cluster running afterwards")
    args = parser.parse_args()

    require_loopback(args.host)
    require_private_cluster(args.pg_port)
    if not 1 <= args.partners <= args.clients:
        fail("--partners must be between 1 and --clients")
    if args.fault and args.duration < 3 * OUTAGE_SECONDS:
        fail(f"--fault needs --duration of at least {3 * OUTAGE_SECONDS:.0f} s (before, during and after)")

    if not args.port:
        with socket.socket() as probe:
            probe.bind((args.host, 0))
            args.port = probe.getsockname()[1]
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    env = app_environment(pg_port=args.pg_port, host=args.host, port=args.port, workers=args.workers)
    sink = smtp_outage.Sink() if args.fault else None
    if sink is not None:
        sink.refusing.set()
        sink.start()
        env.update(smtp_outage.smtp_environment(sink))
    ensure_cluster(args.pg_port)
    os.environ.update(env)
    for name in [k for k in os.environ if k.startswith("DATABASE_") and k != "DATABASE_URL"]:
        del os.environ[name]
    data = prepare_database(synthetic=args.synthetic, partners=args.partners)
    log(f"Data: {data['counts']['organisations']} organisations, {data['counts']['locations']} locations")

    log_path = ROOT / "var" / "loadtest-gunicorn.log"
    gunicorn = start_gunicorn(env, args.host, args.port, log_path)
    sender = smtp_outage.start_sender(env, ROOT, ROOT / "var" / "loadtest-outbox.log") if sink else None
    signup_stop = [0.0]
    checks: list[tuple[str, bool]] = []
    try:
        shared = Shared(data=data, host=args.host, port=args.port)
        clients = [
            Client(n, shared, data["accounts"][n % len(data["accounts"])] if n < args.partners else None)
            for n in range(args.clients)
        ]
        signups = [
            smtp_outage.Signups(n, args.host, args.port, signup_stop, shared.go) for n in range(2 if sink else 0)
        ]
        for client in [*clients, *signups]:
            client.start()
        for client in clients:
            client.signed_in.wait()
        started = time.monotonic()
        shared.stop_at = signup_stop[0] = started + args.duration
        if sink is not None:
            smtp_outage.schedule_recovery(sink, started + args.duration / 2)
        outage = Outage()
        fault = (
            threading.Thread(target=inject_fault, args=(started + args.duration / 3, outage), daemon=True)
            if args.fault
            else None
        )
        log(
            f"{args.clients} clients ({args.partners} signed-in partners) for {args.duration:.0f} s"
            + (f"; the database stops at +{args.duration / 3:.0f} s for {OUTAGE_SECONDS:.0f} s" if fault else "")
        )
        shared.go.set()
        if fault:
            fault.start()
        for client in [*clients, *signups]:
            client.join()
        if fault:
            fault.join()
        seconds = time.monotonic() - started
        gunicorn_alive = gunicorn.poll() is None
    finally:
        stop_gunicorn(gunicorn)

    results = sorted(shared.results, key=lambda r: r.started)
    print()
    print_table(results, seconds)
    print()
    login_errors = [c.login_error for c in clients if c.login_error]
    checks.append(("every partner signed in (session + CSRF)", not login_errors))
    checks.append(("gunicorn ran throughout (no restart)", gunicorn_alive))
    if not args.fault:
        checks.append(("no errors", all(r.outcome == "ok" for r in results)))
    else:
        if outage.error:
            print(f"fault injection failed: {outage.error}")
        checks.append(("the database was stopped and started", outage.error is None and outage.up_at > 0))
        window_start, window_end = outage.stopped_at, outage.up_at + RECOVERY_LIMIT_SECONDS
        during = [r for r in results if r.ended >= window_start and r.started <= outage.up_at]
        outside = [r for r in results if r.ended < window_start or r.started > window_end]
        late = [r for r in results if r.started >= outage.up_at and r.outcome != "ok"]
        last_failure = max((r.ended - outage.up_at for r in late), default=0.0)
        first_ok = min(
            (r.ended - outage.up_at for r in results if r.started >= outage.up_at and r.outcome == "ok"),
            default=float("inf"),
        )
        # Recovered: answering again (a first success) and failing no more.
        recovery = max(last_failure, first_ok)
        print(
            f"fault: PostgreSQL stopped at +{outage.stopped_at - started:.1f} s (down after "
            f"{outage.down_at - outage.stopped_at:.1f} s), started again at +{outage.started_at - started:.1f} s, "
            f"accepting connections at +{outage.up_at - started:.1f} s"
        )
        outcomes = Counter(r.outcome for r in during)
        print(
            f"requests that overlapped the outage: {len(during)}: "
            + ", ".join(f"{o} {n}" for o, n in outcomes.most_common())
        )
        print(
            f"time to recovery after the database returned: {recovery:.2f} s (first success after "
            f"{first_ok:.2f} s, last failure after {last_failure:.2f} s; limit {RECOVERY_LIMIT_SECONDS:.0f} s)"
        )
        checks.append(
            (
                "during the outage: only clean 503s (JSON or page), no 500, no traceback",
                all(r.outcome in ("ok", "503 clean") for r in during),
            ),
        )
        checks.append(
            (f"recovered within {RECOVERY_LIMIT_SECONDS:.0f} s, no restart", recovery <= RECOVERY_LIMIT_SECONDS)
        )
        checks.append(("no errors before or after the outage", all(r.outcome == "ok" for r in outside)))
    if not cluster_running():
        pg_ctl("-l", str(PGDATA / "server.log"), "-w", "-t", "60", "start")
    missing = verify_acknowledged_edits(shared.acknowledged)
    print(
        f"partner edits: {len(shared.acknowledged)} acknowledged (2xx), all looked up in the database: "
        f"{len(shared.acknowledged) - len(missing)} found, {len(missing)} missing; "
        f"{len(shared.unacknowledged)} not acknowledged"
    )
    checks.append(("every acknowledged edit is in the database", not missing and bool(shared.acknowledged)))
    if sink is not None and sender is not None:
        try:
            checks += smtp_outage.verify(sink, signups, started, started + args.duration / 2)
        finally:
            sender.terminate()
            sender.wait(timeout=30)
            sink.stop()
    if not args.keep_running:
        pg_ctl("-m", "fast", "-w", "stop", check=False)
    print()
    for name, ok in checks:
        print(f"[{'PASS' if ok else 'FAIL'}] {name}")
    if login_errors:
        print("sign-in errors:", "; ".join(sorted(set(login_errors))))
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

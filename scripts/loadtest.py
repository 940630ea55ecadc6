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
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import smtp_outage  # scripts/ is on the path when this file runs
from loadtest_env import (  # scripts/ is on the path when this file runs
    ANONYMOUS_MIX,
    BACKOFF_SECONDS,
    KINDS,
    OUTAGE_SECONDS,
    PARTNER_MIX,
    PARTNER_PASSWORD,
    PGDATA,
    RECOVERY_LIMIT_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
    ROOT,
    app_environment,
    cluster_running,
    ensure_cluster,
    fail,
    log,
    pg_ctl,
    prepare_database,
    require_loopback,
    require_private_cluster,
    start_gunicorn,
    stop_gunicorn,
    verify_acknowledged_edits,
)

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

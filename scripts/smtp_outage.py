"""The mail-server outage of ``scripts/loadtest.py --fault``.

A local SMTP server (aiosmtpd, loopback) answers every MAIL FROM with
``421 4.3.2 Service not available`` for the first half of the run and then
accepts. gunicorn sends through it (EMAIL_BACKEND=smtp via the outbox, so
after commit from the workers' threads) and so does a ``send_outbox --loop``
process beside it. Meanwhile sign-up clients register unique addresses (each
acknowledged sign-up queues one activation mail). At the end every address
whose sign-up was acknowledged must have received its mail exactly once, and
no address more than once.
"""

from __future__ import annotations

import email
import email.policy
import http.client
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

DELIVERY_DEADLINE_SECONDS = 240.0
# Unlike any address (the similarity validator refuses "signup-…" look-alikes).
SIGNUP_PASSWORD = "Qv7-tundra-marble-81"


class _Handler:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.sink.refusing.is_set():
            with self.sink.lock:
                self.sink.refused += 1
            return "421 4.3.2 Service not available, try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.lock:
            for rcpt in envelope.rcpt_tos:
                self.sink.received[rcpt.lower()] += 1
            self.sink.messages.append(message)
        return "250 Message accepted for delivery"


@dataclass
class Sink:
    host: str = "127.0.0.1"
    port: int = 0
    refusing: threading.Event = field(default_factory=threading.Event)
    received: Counter[str] = field(default_factory=Counter)
    messages: list[Any] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        if not self.port:
            with socket.socket() as probe:
                probe.bind((self.host, 0))
                self.port = probe.getsockname()[1]
        self.controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()


def smtp_environment(sink: Sink) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": sink.host,
        "EMAIL_PORT": str(sink.port),
        "EMAIL_USE_TLS": "false",
        "EMAIL_TIMEOUT": "5",
    }


def start_sender(env: dict[str, str], root: Path, log_path: Path) -> subprocess.Popen[bytes]:
    log = log_path.open("wb")
    return subprocess.Popen(
        [sys.executable, "manage.py", "send_outbox", "--loop", "--interval", "2"],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@dataclass
class SignupResult:
    started: float
    status: int
    outcome: str  # "acknowledged", "503 clean", or what went wrong


class Signups(threading.Thread):
    """A visitor who signs up again and again, each time with a new address."""

    def __init__(self, number: int, host: str, port: int, stop_at: list[float], go: threading.Event) -> None:
        super().__init__(name=f"signup-{number}", daemon=True)
        self.number, self.host, self.port, self.stop_at, self.go = number, host, port, stop_at, go
        self.acknowledged: list[str] = []
        self.results: list[SignupResult] = []

    def _request(self, method: str, path: str, cookies: dict[str, str], body: bytes | None = None) -> Any:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.getheader("Content-Type", ""), data
        finally:
            conn.close()

    def run(self) -> None:
        self.go.wait()
        n = 0
        while time.monotonic() < self.stop_at[0]:
            n += 1
            address = f"signup-{self.number}-{n}-{secrets.token_hex(3)}@loadtest.example"
            started = time.monotonic()
            try:
                outcome, status = self._sign_up(address)
            except (OSError, http.client.HTTPException) as exc:
                outcome, status = f"no answer ({type(exc).__name__})", 0
            self.results.append(SignupResult(started, status, outcome))
            if outcome == "acknowledged":
                self.acknowledged.append(address)
            else:
                time.sleep(0.2)

    def _sign_up(self, address: str) -> tuple[str, int]:
        cookies: dict[str, str] = {}
        status, content_type, page = self._request("GET", "/accounts/signup/", cookies)
        if status != 200:
            return _outcome(status, content_type, page), status
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if token is None:
            return "no CSRF token in the form", status
        form = {
            "email": address,
            "password1": SIGNUP_PASSWORD,
            "password2": SIGNUP_PASSWORD,
            "csrfmiddlewaretoken": token.group(1).decode(),
        }
        status, content_type, page = self._request("POST", "/accounts/signup/", cookies, urlencode(form).encode())
        if status == 200 and b'name="password1"' not in page:
            return "acknowledged", status
        return _outcome(status, content_type, page), status


def _outcome(status: int, content_type: str, body: bytes) -> str:
    if status == 503 and b"Traceback" not in body:
        return "503 clean"
    if status == 200:
        errors = re.findall(rb'class="errorlist[^"]*"[^>]*>(.*?)</ul>', body, re.S)
        text = re.sub(rb"<[^>]+>", b" ", b" ".join(errors)).decode("utf-8", "replace").split()
        return "form shown again: " + (" ".join(text)[:80] or "no error shown")
    return f"HTTP {status}" + (" with a traceback" if b"Traceback" in body else "")


def schedule_recovery(sink: Sink, at: float) -> threading.Thread:
    def recover() -> None:
        time.sleep(max(0.0, at - time.monotonic()))
        sink.refusing.clear()

    thread = threading.Thread(target=recover, name="smtp-recovery", daemon=True)
    thread.start()
    return thread


def queue_state() -> dict[str, Any]:
    """What the outbox table holds (the database must be up)."""
    from django.db import connections
    from django.db.models import Count, Max

    from orgs.models import OutgoingEmail

    connections.close_all()  # the connection from before the database restarted is gone
    by_status = dict(OutgoingEmail.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    attempts = OutgoingEmail.objects.aggregate(most=Max("attempts"))["most"] or 0
    return {"by_status": by_status, "most_attempts": attempts}


def verify(sink: Sink, signups: list[Signups], started: float, recovered_at: float) -> list[tuple[str, bool]]:
    """Wait for every acknowledged sign-up's mail, then check none is missing or doubled."""
    acknowledged = [address for client in signups for address in client.acknowledged]
    results = [r for client in signups for r in client.results]
    deadline = time.monotonic() + DELIVERY_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        with sink.lock:
            if all(sink.received[a] for a in acknowledged):
                break
        time.sleep(1)
    all_in = time.monotonic()
    time.sleep(5)  # a duplicate would arrive now
    with sink.lock:
        received = Counter(sink.received)
    missing = [a for a in acknowledged if not received[a]]
    # Only the sign-ups' own addresses: the data set-up mails its users too.
    doubled = {a: n for a, n in received.items() if n > 1 and a.startswith("signup-")}
    # Committed, but the answer failed afterwards (the database went down mid-request).
    extra = [a for a in received if a.startswith("signup-") and a not in set(acknowledged)]
    outcomes = Counter(r.outcome for r in results)
    during = [r for r in results if r.started < recovered_at]
    state = queue_state()
    print(
        f"SMTP outage: the server refused (421) from +0 s to +{recovered_at - started:.1f} s; "
        f"{sink.refused} refusals answered"
    )
    print(
        f"sign-ups: {len(results)} ({', '.join(f'{o} {n}' for o, n in outcomes.most_common())}); "
        f"{len(during)} while SMTP refused"
    )
    print(
        f"mail: {len(acknowledged)} acknowledged sign-ups, {sum(received[a] for a in set(acknowledged))} "
        f"activation messages received (+{len(extra)} for sign-ups not acknowledged); missing {len(missing)}, "
        f"received twice or more {len(doubled)}; "
        f"all in {all_in - recovered_at:.1f} s after SMTP came back; outbox rows {state['by_status']}, "
        f"most attempts on one row {state['most_attempts']}"
    )
    return [
        (
            "sign-ups while SMTP refused answered normally (no 500)",
            all(r.outcome in ("acknowledged", "503 clean") for r in during)
            and any(r.outcome == "acknowledged" for r in during),
        ),
        ("every acknowledged sign-up's mail arrived", bool(acknowledged) and not missing),
        ("no mail arrived twice", not doubled),
    ]

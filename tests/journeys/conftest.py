"""Journeys: a person's whole task in Debian's Chromium against the live
server, with production-like settings (DEBUG off, as pytest-django runs) and
real outside services started here (a local SMTP server for the mail).

The browser fixtures are the ones of tests/browser/conftest.py."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, chromium, directory, framing_server, make_site  # noqa: F401 - fixtures

JOURNEYS = ARTIFACTS / "journeys"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class SmtpSink:
    """A real SMTP server on loopback (aiosmtpd) that can be down (not listening)."""

    port: int
    messages: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Any = None

    def up(self) -> None:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                with sink.lock:
                    sink.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 Message accepted for delivery"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def received(self) -> list[Any]:
        with self.lock:
            return list(self.messages)


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[SmtpSink]:
    """The site's mail goes through the outbox (as in production) to this
    server, which is down at first."""
    pytest.importorskip("aiosmtpd")
    import locator.settings as production

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = SmtpSink(port=port)
    settings.EMAIL_BACKEND = production.EMAIL_BACKEND
    settings.OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.OUTBOX_SEND_ON_COMMIT = True
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = False, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    JOURNEYS.mkdir(parents=True, exist_ok=True)
    yield sink
    sink.down()

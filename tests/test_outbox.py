"""Outgoing mail goes through the outbox table (orgs/outbox.py): a user's action
never fails because SMTP is down, nothing is lost or sent twice, a rolled-back
action sends nothing, and a press disclosure is logged iff its mail is queued.

Django's test runner sets EMAIL_BACKEND to locmem for every test; these tests
put back the production value (the outbox) and deliver through ``FakeSmtp``."""

from __future__ import annotations

import datetime as dt
import smtplib
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from django.core.mail import EmailMessage, send_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connections, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

import locator.settings as production
from orgs import models as m
from orgs import outbox
from orgs.models import OutgoingEmail, OutgoingEmailStatus
from tests.test_partner_flows import REGISTRATION, _as, partner, taxonomy  # noqa: F401 - fixtures
from tests.test_press_flow import ANNA_EMAIL, answer, mails_to, submit_and_confirm, world  # noqa: F401

FAKE = "tests.test_outbox.FakeSmtp"


class FakeSmtp(BaseEmailBackend):
    """A mail server that can be down (421, as a real one says when it is busy)."""

    down = False
    slow = 0.0
    delivered: list[EmailMessage] = []
    lock = threading.Lock()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if FakeSmtp.down:
            raise smtplib.SMTPResponseException(421, b"4.3.2 busy, try later (maria@media.example)")
        time.sleep(FakeSmtp.slow)
        with FakeSmtp.lock:
            FakeSmtp.delivered.extend(email_messages)
        return len(email_messages)


@pytest.fixture
def smtp(settings: Any) -> Iterator[type[FakeSmtp]]:
    settings.EMAIL_BACKEND = production.EMAIL_BACKEND
    settings.OUTBOX_DELIVERY_BACKEND = FAKE
    settings.OUTBOX_SEND_ON_COMMIT = False
    FakeSmtp.down, FakeSmtp.slow, FakeSmtp.delivered = True, 0.0, []
    yield FakeSmtp
    FakeSmtp.down, FakeSmtp.delivered = False, []


def queued() -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.filter(status=OutgoingEmailStatus.QUEUED).order_by("pk"))


def deliver_when_up(smtp: type[FakeSmtp]) -> list[EmailMessage]:
    smtp.down = False
    OutgoingEmail.objects.update(next_attempt_at=timezone.now())
    outbox.deliver_due()
    return smtp.delivered


# --- a user's action with SMTP down -----------------------------------------------------


@pytest.mark.django_db
def test_sign_up_answers_while_smtp_is_down_and_the_mail_follows(client, smtp) -> None:
    form = {"email": "anna@example.org", "password1": "x-Long-pass-41", "password2": "x-Long-pass-41"}
    response = client.post(reverse("frontend:signup"), form)
    assert response.status_code == 200 and "Check your e-mail" in response.content.decode()
    (row,) = queued()
    assert row.to == ["anna@example.org"]
    assert outbox.deliver_due().retried == 1  # down: kept, not lost
    assert queued()[0].attempts == 1 and smtp.delivered == []

    (sent,) = deliver_when_up(smtp)
    assert sent.to == ["anna@example.org"] and "/accounts/activate/" in sent.body
    assert OutgoingEmail.objects.get().status == OutgoingEmailStatus.SENT
    assert outbox.deliver_due().sent == 0, "a sent row is never sent again"


@pytest.mark.django_db
@pytest.mark.usefixtures("taxonomy")
def test_a_moderation_decision_answers_while_smtp_is_down(partner, moderator, smtp) -> None:  # noqa: F811
    created = _as(partner).post("/api/v1/partner/organisations", REGISTRATION, format="json")
    assert created.status_code == 201, created.json()
    decided = _as(moderator).post(
        f"/api/v1/moderation/organisations/{created.json()['slug']}", {"status": "published"}, format="json"
    )
    assert decided.status_code == 200
    assert m.Organisation.objects.get(slug=created.json()["slug"]).status == "published"
    assert ["partner@example.org"] in [row.to for row in queued()]
    assert ["partner@example.org"] in [message.to for message in deliver_when_up(smtp)]


@pytest.mark.django_db
def test_a_press_request_answers_while_smtp_is_down(world, smtp) -> None:  # noqa: F811
    api = APIClient(raise_request_exception=False)
    response = api.post("/api/v1/press/requests", _press_payload(), format="json")
    assert response.status_code == 201
    assert [row.to for row in queued()] == [["maria@media.example"]]
    (sent,) = deliver_when_up(smtp)
    assert "/press/confirm/?t=" in sent.body


def _press_payload() -> dict[str, Any]:
    from tests.test_press_flow import request_payload

    return request_payload()


@pytest.mark.django_db
def test_password_reset_queues_its_mail_while_smtp_is_down(client, smtp) -> None:
    from django.contrib.auth.models import User

    User.objects.create_user("anna@example.org", "anna@example.org", "x-Long-pass-41")
    response = client.post(reverse("frontend:password_reset"), {"email": "anna@example.org"})
    assert response.status_code == 302
    # Django's reset form swallows a sending error and says "sent": the row is what keeps it.
    assert [row.to for row in queued()] == [["anna@example.org"]]
    (sent,) = deliver_when_up(smtp)
    assert "/accounts/password-reset/" in sent.body


@pytest.mark.django_db
def test_a_rolled_back_action_queues_nothing(smtp) -> None:
    def action() -> None:
        with transaction.atomic():
            send_mail("s", "b", None, ["anna@example.org"])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        action()
    assert not OutgoingEmail.objects.exists()


# --- retries ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_backoff_doubles_to_an_hour_then_the_row_is_failed_without_personal_data(smtp, settings) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 10
    send_mail("Ваш вход", "secret body", None, ["maria@media.example"])
    waits = []
    for _ in range(9):
        before = timezone.now()
        assert outbox.deliver_due().retried == 1
        row = OutgoingEmail.objects.get()
        waits.append(round((row.next_attempt_at - before).total_seconds()))
        assert outbox.deliver_due().retried == 0, "not retried before its time"
        OutgoingEmail.objects.update(next_attempt_at=timezone.now())
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert row.last_error == "SMTPResponseException 421"
    assert outbox.deliver_due().failed == 1
    row.refresh_from_db()
    assert row.status == OutgoingEmailStatus.FAILED and row.attempts == 10
    smtp.down = False
    assert outbox.deliver_due().sent == 0 and smtp.delivered == []


def test_the_short_error_names_the_codes_and_no_address() -> None:
    refused = smtplib.SMTPRecipientsRefused({"anna@example.org": (550, b"no such user anna@example.org")})
    assert outbox.short_error(refused) == "SMTPRecipientsRefused 550"
    assert outbox.short_error(ConnectionRefusedError(111, "refused")) == "ConnectionRefusedError errno 111"


@pytest.mark.django_db
def test_the_command_delivers_and_deletes_old_sent_rows(smtp) -> None:
    smtp.down = False
    send_mail("new", "b", None, ["a@example.org"])
    old = OutgoingEmail.objects.create(
        subject="old", body="contacts", from_email="x@example.org", to=["b@example.org"], status="sent"
    )
    OutgoingEmail.objects.filter(pk=old.pk).update(sent_at=timezone.now() - dt.timedelta(days=8))
    call_command("send_outbox")
    assert [message.subject for message in smtp.delivered] == ["new"]
    assert list(OutgoingEmail.objects.values_list("subject", "status")) == [("new", "sent")]


# --- the press desk: a disclosure iff its mail ---------------------------------------------


def _accept_with_smtp_down(people: dict[str, Any], settings: Any) -> Any:
    api = APIClient(raise_request_exception=False)
    # The request and invitation are made with the test's own locmem mail.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    req, _tracking = submit_and_confirm(api)
    coordinator = APIClient()
    coordinator.force_login(people["coordinator"])
    sent = coordinator.post(
        f"/api/v1/press/coordination/requests/{req.pk}/send", {"experts": [people["anna"].pk]}, format="json"
    )
    assert sent.status_code == 201, sent.json()
    settings.EMAIL_BACKEND = production.EMAIL_BACKEND
    return answer(api, ANNA_EMAIL, "accept")


@pytest.mark.django_db
def test_an_acceptance_with_smtp_down_logs_the_disclosure_and_queues_its_mail(world, smtp, settings) -> None:  # noqa: F811
    accepted = _accept_with_smtp_down(world, settings)
    assert accepted.status_code == 200
    assert m.Disclosure.objects.count() == 1
    contacts = [row for row in queued() if row.to == ["maria@media.example"]]
    assert len(contacts) == 1 and ANNA_EMAIL in contacts[0].body
    delivered = deliver_when_up(smtp)
    assert [message.to for message in delivered if ANNA_EMAIL in message.body] == [["maria@media.example"]]


@pytest.mark.django_db
def test_when_the_mail_cannot_be_queued_no_disclosure_is_logged_and_nothing_is_sent(
    world,  # noqa: F811
    smtp,
    settings,
    monkeypatch,
) -> None:
    original = outbox.OutboxBackend.send_messages

    def refuse_the_experts_copy(self: Any, messages: Sequence[EmailMessage]) -> int:
        if any(ANNA_EMAIL in message.to for message in messages):
            raise RuntimeError("the outbox insert failed")
        return original(self, messages)

    monkeypatch.setattr(outbox.OutboxBackend, "send_messages", refuse_the_experts_copy)
    accepted = _accept_with_smtp_down(world, settings)
    assert accepted.status_code == 500
    assert not m.Disclosure.objects.exists()
    assert not [row for row in OutgoingEmail.objects.all() if ANNA_EMAIL in row.body]
    assert not [message for message in mails_to("maria@media.example") if ANNA_EMAIL in message.body]


# --- several senders at once --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_never_send_a_row_twice(smtp) -> None:
    smtp.down, smtp.slow = False, 0.005
    OutgoingEmail.objects.bulk_create(
        OutgoingEmail(subject=f"m{i}", body="b", from_email="x@example.org", to=["a@example.org"]) for i in range(60)
    )
    start = threading.Barrier(3)
    counts: list[int] = []

    def sender() -> None:
        try:
            start.wait()
            counts.append(outbox.deliver_due(limit=100).sent)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = Counter(message.subject for message in smtp.delivered)
    assert len(sent) == 60 and set(sent.values()) == {1}
    assert sum(counts) == 60 and min(counts) > 0, f"every sender took a share: {counts}"
    assert OutgoingEmail.objects.filter(status="sent").count() == 60


@pytest.mark.django_db(transaction=True)
def test_the_send_after_commit_delivers_without_the_command(smtp, settings) -> None:
    settings.OUTBOX_SEND_ON_COMMIT = True
    smtp.down = False
    with transaction.atomic():
        send_mail("prompt", "b", None, ["a@example.org"])
        assert smtp.delivered == []  # nothing leaves before the commit
    deadline = time.monotonic() + 10
    while not smtp.delivered and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [message.subject for message in smtp.delivered] == ["prompt"]


def test_email_file_path_comes_from_the_environment(tmp_path, monkeypatch) -> None:
    import subprocess
    import sys

    monkeypatch.setenv("EMAIL_FILE_PATH", str(tmp_path))
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "locator.settings")
    monkeypatch.setenv("SECRET_KEY", "test-only-secret-key-for-a-subprocess-0123456789")
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.mail import EmailMessage, get_connection\n"
        "backend = getattr(settings, 'OUTBOX_DELIVERY_BACKEND', settings.EMAIL_BACKEND)\n"
        "print(settings.EMAIL_FILE_PATH, backend)\n"
        "get_connection(backend).send_messages([EmailMessage('Тема', 'Текст', None, ['a@b.example'])])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode == 0, result.stderr
    assert str(tmp_path) in result.stdout
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and "a@b.example" in files[0].read_text()


@pytest.mark.django_db
def test_the_admin_shows_the_queue_and_the_body_only_to_superusers(client, smtp) -> None:
    from django.contrib.auth.models import Permission, User

    send_mail("Контакты эксперта", "телефон +7 911 555-01-01", None, ["maria@media.example"])
    outbox.deliver_due()
    row = OutgoingEmail.objects.get()
    staff = User.objects.create_user("staff", "staff@example.org", "x-Long-pass-41", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_outgoingemail"))
    client.force_login(staff)
    listing = client.get("/admin/orgs/outgoingemail/").content.decode()
    assert "SMTPResponseException 421" in listing and "queued" in listing
    page = client.get(f"/admin/orgs/outgoingemail/{row.pk}/change/").content.decode()
    assert "Контакты эксперта" in page and "555-01-01" not in page
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x-Long-pass-41"))
    assert "555-01-01" in client.get(f"/admin/orgs/outgoingemail/{row.pk}/change/").content.decode()


@pytest.mark.django_db
def test_a_pass_stops_at_the_first_sign_that_the_server_is_down(smtp) -> None:
    """With the server unreachable, one attempt per pass, not one timeout per queued row."""
    for i in range(5):
        send_mail(f"Письмо {i}", "Текст", None, [f"person{i}@example.org"])
    result = outbox.deliver_due()
    assert (result.sent, result.retried) == (0, 1)
    assert sorted(OutgoingEmail.objects.values_list("attempts", flat=True)) == [0, 0, 0, 0, 1]
    assert outbox._server_unreachable(ConnectionRefusedError()) and outbox._server_unreachable(TimeoutError())
    assert not outbox._server_unreachable(smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no")}))
    assert deliver_when_up(smtp) and len(smtp.delivered) == 5

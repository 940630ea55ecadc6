"""A partner's first day while the mail server is down: sign up, confirm the
address, register an organisation, a moderator publishes it. Every page answers
normally while SMTP is down; once it is back and the sender runs, every mail
arrives exactly once, in the reader's language, and its link works."""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from orgs import models as m
from orgs import outbox
from orgs.models import OutgoingEmail, OutgoingEmailStatus
from tests import factories as f
from tests import people
from tests.browser.conftest import pskov_place
from tests.journeys.conftest import JOURNEYS, SmtpSink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PARTNER = "svetlana@example.org"
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def _settle() -> None:
    """Let the send-after-commit thread finish its attempt (SMTP is down: it fails)."""
    deadline = time.monotonic() + 15
    while outbox._running.locked() and time.monotonic() < deadline:
        time.sleep(0.05)


def _deliver(sink: SmtpSink) -> None:
    """The mail server is back and the sender runs. The rows wait out their
    backoff (30 s after the first failure); the test moves them to now instead."""
    _settle()
    sink.up()
    OutgoingEmail.objects.filter(status=OutgoingEmailStatus.QUEUED).update(next_attempt_at=timezone.now())
    call_command("send_outbox")
    _settle()


def _submit(page: Any, selector: str) -> Any:
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(selector)
    page.wait_for_load_state()
    return answer.value


def _shot(page: Any, name: str, step: str) -> None:
    page.screenshot(path=str(JOURNEYS / f"mail-outage-{name}-{step}.png"), full_page=True)
    # Nothing pushes the page sideways (a phone would have to pan to read it).
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (step, overflow)


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_a_partner_signs_up_registers_and_is_published_while_mail_is_down(
    name: str, make_site: Any, smtp_sink: SmtpSink
) -> None:
    f.CategoryFactory(slug="psychological-help", name_ru="Психологическая помощь", name_en="Psychological help")
    f.NetworkFactory(slug="stop-sed", name="СТОП СЭД", roles=["participant"])
    pskov_place()
    people.moderator()
    site = make_site(viewport=VIEWPORTS[name])
    page, url = site.page, site.url

    # 1. Sign-up with the mail server down: the page says "check your mail".
    page.goto(f"{url}/accounts/signup/")
    page.fill("#id_email", NEW_PARTNER)
    page.fill("#id_password1", people.PASSWORD)
    page.fill("#id_password2", people.PASSWORD)
    assert _submit(page, "form button.primary").status == 200
    assert NEW_PARTNER in page.content() and not page.locator("#id_password1").count()
    _shot(page, name, "1-signup-sent-smtp-down")
    _settle()
    (row,) = OutgoingEmail.objects.all()
    assert row.status == OutgoingEmailStatus.QUEUED and row.attempts == 1 and "ConnectionRefused" in row.last_error

    # 2. The server is back: the activation mail arrives once, in Russian, and its link works.
    _deliver(smtp_sink)
    (activation,) = smtp_sink.received()
    assert activation["To"] == NEW_PARTNER
    body = activation.get_content()
    assert CYRILLIC.search(str(activation["Subject"])) and CYRILLIC.search(body), body
    (link,) = re.findall(r"https?://\S+/accounts/activate/\S+", body)
    page.goto(link)
    page.wait_for_url("**/accounts/login/**")
    _shot(page, name, "2-activated")
    page.fill("#id_username", NEW_PARTNER)
    page.fill("#id_password", people.PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{url}/partner/")

    # 3. Down again: registering the organisation answers normally.
    smtp_sink.down()
    page.goto(f"{url}/partner/register/")
    page.fill("#id_org-name", "АНО «Светлый дом»")
    page.fill("#id_org-ogrn", "1027700132195")
    page.fill("#id_loc-0-city", "Пско")
    page.locator(".combo-option", has_text="Псков").first.click()
    picker = page.locator("[data-point-picker]").first
    picker.scroll_into_view_if_needed()
    picker.click(position={"x": min(150, VIEWPORTS[name]["width"] // 3), "y": 120})
    page.check("#id_loc-0-visibility_1")
    page.fill("#id_svc-0-name", "Консультация психолога")
    page.check("input[name='svc-0-categories'][value='psychological-help']")
    page.check("input[name='svc-0-formats'][value='in_person']")
    page.select_option("#id_net-net_stop-sed", "participant")
    assert _submit(page, "form[data-partner-form] p > button.primary").status == 302
    page.wait_for_url("**/partner/o/**")
    _shot(page, name, "3-registered-smtp-down")
    org = m.Organisation.objects.get()
    assert org.status == m.PublicationStatus.PENDING

    # 4. The moderator publishes it, SMTP still down.
    moderator = make_site(viewport=VIEWPORTS[name])
    moderator.page.goto(f"{url}/accounts/login/")
    moderator.page.fill("#id_username", "moder@example.org")
    moderator.page.fill("#id_password", people.PASSWORD)
    moderator.page.click("button.primary")
    moderator.page.wait_for_url(f"{url}/partner/")
    moderator.page.goto(f"{url}/partner/moderation/")
    article = moderator.page.locator("article", has_text="АНО «Светлый дом»")
    assert _submit(moderator.page, "article:has-text('Светлый дом') button[value='published']").status == 302
    assert article.count() == 0 or "Светлый дом" in moderator.page.content()
    _shot(moderator.page, name, "4-published-smtp-down")
    org.refresh_from_db()
    assert org.status == m.PublicationStatus.PUBLISHED
    _settle()
    # The decision, and the moderators' notice of the new listing (queued at registration).
    assert OutgoingEmail.objects.filter(status=OutgoingEmailStatus.QUEUED).count() == 2

    # 5. Back again: the decision arrives once; nothing was sent twice.
    _deliver(smtp_sink)
    everything = smtp_sink.received()
    assert Counter((str(msg["To"]), str(msg["Subject"])) for msg in everything).most_common(1)[0][1] == 1
    notices = [msg for msg in everything if str(msg["To"]) == settings.COORDINATORS_EMAIL]
    assert len(notices) == 1 and "Светлый дом" in str(notices[0]["Subject"])
    received = [msg for msg in everything if msg not in notices]
    assert [str(msg["To"]) for msg in received] == [NEW_PARTNER, NEW_PARTNER]
    decision = received[1]
    assert "Светлый дом" in str(decision["Subject"]) and CYRILLIC.search(decision.get_content())
    assert not OutgoingEmail.objects.exclude(status=OutgoingEmailStatus.SENT).exists()
    # What the mail tells her is true, and its links open (the public listing, her page of it).
    links = re.findall(r"https?://\S+", decision.get_content()) or [f"{url}/o/{org.slug}/"]
    assert f"{url}/o/{org.slug}/" in links
    for n, link in enumerate(links):
        assert page.goto(link).status == 200, link
        assert "Светлый дом" in page.content()
        _shot(page, name, f"5-decision-link-{n + 1}")
    (JOURNEYS / f"mail-outage-{name}-mails.txt").write_text(
        "\n\n----\n\n".join(f"To: {m_['To']}\nSubject: {m_['Subject']}\n\n{m_.get_content()}" for m_ in received),
        encoding="utf-8",
    )
    assert User.objects.get(email=NEW_PARTNER).is_active

"""Claims and corrections, as the people involved live them, on a phone and a
desktop, with the mail going through the outbox into a local SMTP server:

- a future owner finds her organisation's public page, asks to manage it (an
  empty message is refused on the field), the STOP SED coordinator is e-mailed,
  opens the queue from the mail's link and approves; the claimant's decision
  mail (Russian, her address, the organisation in the subject) links to the
  listing's partner page, which opens for her;
- a rejected registration is corrected and sent back, the coordinator is told
  and publishes it, the owner is told;
- a visitor without an account suggests a correction; the owner and the
  coordinator are e-mailed."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from orgs import models as m
from orgs import outbox, services
from orgs.services import notifications
from tests import factories as f
from tests import people
from tests.journeys.conftest import JOURNEYS, SmtpSink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 850}}
COORDINATOR = "irina@example.org"
CLAIMANT = "anna@example.org"


def _arrived(sink: SmtpSink, count: int) -> list[Any]:
    """The send-after-commit thread delivers; wait for it."""
    deadline = time.monotonic() + 15
    while len(sink.received()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    while outbox._running.locked() and time.monotonic() < deadline:
        time.sleep(0.05)
    return sink.received()


def _to(mails: list[Any], address: str) -> list[Any]:
    return [mail for mail in mails if mail["To"] == address]


def _submit(page: Any, selector: str) -> Any:
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(selector)
    page.wait_for_load_state()
    return answer.value


def _shot(page: Any, name: str, step: str) -> None:
    page.screenshot(path=str(JOURNEYS / f"claims-{name}-{step}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (step, overflow)


def _keep(mail: Any, name: str, step: str) -> str:
    body = mail.get_content()
    (JOURNEYS / f"claims-{name}-{step}.txt").write_text(
        f"To: {mail['To']}\nSubject: {mail['Subject']}\n\n{body}", encoding="utf-8"
    )
    return body


def _sign_in(page: Any, email: str) -> None:
    page.fill("#id_username", email)
    page.fill("#id_password", people.PASSWORD)
    page.click("button.primary")


def _links(body: str) -> list[str]:
    return re.findall(r"https?://\S+", body)


def _stop_sed() -> m.Network:
    network = f.NetworkFactory(slug="stop-sed", name="СТОП СЭД", roles=["participant"])
    m.NetworkCoordinator.objects.create(network=network, user=people.user("irina"))
    return network


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_a_future_owner_claims_her_listing_and_the_coordinator_approves(
    name: str, make_site: Any, smtp_sink: SmtpSink, russian_default: None
) -> None:
    network = _stop_sed()
    with transaction.atomic():  # a published listing and its place commit together
        org = f.OrganisationFactory(slug="tebe-poveryat", name="АНО «Тебе поверят»")
    f.MembershipFactory(organisation=org, network=network, status="active", role="participant")
    people.user("anna")
    smtp_sink.up()
    site = make_site(viewport=VIEWPORTS[name])
    page, url = site.page, site.url

    # 1. From the public page: "Is this your organisation?", then sign in.
    page.goto(f"{url}/o/tebe-poveryat/")
    _shot(page, name, "0-public-page")
    page.click("#claim-link")
    page.wait_for_url("**/accounts/login/**")
    _sign_in(page, CLAIMANT)
    page.wait_for_url(f"{url}/partner/claim/tebe-poveryat/")

    # 2. An empty message: refused on the field, nothing saved.
    assert _submit(page, "button.primary").status == 400
    with translation.override("ru"):
        assert str(services.CLAIM_MESSAGE_REQUIRED) in page.locator("#id_message_error").inner_text()
    _shot(page, name, "1-empty-message")
    assert not m.Claim.objects.exists()

    # 3. With a message: sent.
    page.fill("#id_message", "Я директор, Анна Петрова. Телефон офиса +7 812 000-00-00.")
    assert _submit(page, "button.primary").status == 302
    page.wait_for_url(f"{url}/partner/")
    _shot(page, name, "2-claim-sent")
    claim = m.Claim.objects.get()

    # 4. The coordinator's notification: to her, in Russian, naming the listing, linking to the item.
    (note,) = _to(_arrived(smtp_sink, 1), COORDINATOR)
    with translation.override("ru"):
        assert str(notifications.KIND_LABELS["claim"]) in str(note["Subject"])
    assert "АНО «Тебе поверят»" in str(note["Subject"])
    body = _keep(note, name, "mail-1-coordinator")
    assert CLAIMANT in body
    queue_link, settings_link = _links(body)
    assert queue_link == f"{url}/partner/moderation/#claim-{claim.pk}"
    assert settings_link == f"{url}/partner/notifications/"

    # 5. She follows it, signs in, approves.
    coordinator = make_site(viewport=VIEWPORTS[name])
    coordinator.page.goto(queue_link)
    coordinator.page.wait_for_url("**/accounts/login/**")
    _sign_in(coordinator.page, COORDINATOR)
    coordinator.page.wait_for_url(f"{url}/partner/moderation/**")
    item = coordinator.page.locator(f"#claim-{claim.pk}")
    assert "Анна Петрова" in item.inner_text()
    _shot(coordinator.page, name, "3-queue")
    assert _submit(coordinator.page, f"#claim-{claim.pk} button[name=approve][value='1']").status == 302

    # 6. The claimant's decision: Russian, to her, which listing, a link that opens.
    mails = _arrived(smtp_sink, 2)
    (decision,) = _to(mails, CLAIMANT)
    with translation.override("ru"):
        assert (
            str(services.decision_mail.CLAIM_SUBJECT)
            % {
                "name": "АНО «Тебе поверят»",
                "decision": m.Decision.APPROVED.label,
            }
            == str(decision["Subject"]).strip()
        )
        body = _keep(decision, name, "mail-2-claimant")
        assert (
            gettext(
                "Check the listing: its contacts, places, hours and services. "
                "Changes to contacts and descriptions show at once."
            )
            in body
        )
    (link,) = _links(body)
    assert link == f"{url}/partner/o/tebe-poveryat/"
    page.goto(link)
    assert page.locator("h1").inner_text() == "АНО «Тебе поверят»"
    _shot(page, name, "4-claimant-manages")
    assert m.OrganisationAccess.objects.filter(organisation=org, user__email=CLAIMANT, role="owner").exists()


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_a_rejected_listing_is_corrected_and_published_then_a_visitor_suggests_a_fix(
    name: str, make_site: Any, smtp_sink: SmtpSink, russian_default: None
) -> None:
    network = _stop_sed()
    owner = people.user("olga")
    org = people.owned(
        owner,
        name="МОО «Центр социальной поддержки женщин»",
        status=m.PublicationStatus.REJECTED,
        moderation_reason="Не указан телефон для связи",
    )
    f.MembershipFactory(organisation=org, network=network, status="applied", role="participant", since=None)
    smtp_sink.up()
    site = make_site(viewport=VIEWPORTS[name])
    page, url = site.page, site.url

    # 1. The owner sees the reason next to the fields, corrects, sends it back.
    page.goto(f"{url}/accounts/login/")
    _sign_in(page, owner.email)
    page.wait_for_url(f"{url}/partner/")
    page.goto(f"{url}/partner/o/org/edit/")
    assert "Не указан телефон для связи" in page.locator("#rejected-reason").inner_text()
    page.fill("#id_org-email", "centre@example.org")
    _shot(page, name, "5-rejected-edit")
    assert _submit(page, "form.partner-form p > button.primary").status == 302
    page.goto(f"{url}/partner/o/org/")
    assert _submit(page, "#resubmit").status == 302
    _shot(page, name, "6-resubmitted")
    org.refresh_from_db()
    assert org.status == m.PublicationStatus.PENDING

    # 2. The coordinator is told, opens the item and publishes it.
    (note,) = _to(_arrived(smtp_sink, 1), COORDINATOR)
    body = _keep(note, name, "mail-3-resubmitted")
    assert "Не указан телефон для связи" in body  # why it came back
    queue_link = _links(body)[0]
    assert queue_link == f"{url}/partner/moderation/#org-org"
    coordinator = make_site(viewport=VIEWPORTS[name])
    coordinator.page.goto(queue_link)
    _sign_in(coordinator.page, COORDINATOR)
    coordinator.page.wait_for_url(f"{url}/partner/moderation/**")
    assert _submit(coordinator.page, "#org-org button[value=published]").status == 302
    (published,) = _to(_arrived(smtp_sink, 2), owner.email)
    body = _keep(published, name, "mail-4-published")
    assert "МОО «Центр социальной поддержки женщин»" in str(published["Subject"])
    assert _links(body) == [f"{url}/o/org/", f"{url}/partner/o/org/"]

    # 3. A visitor, signed in nowhere, suggests a correction.
    visitor = make_site(viewport=VIEWPORTS[name])
    visitor.page.goto(f"{url}/o/org/")
    visitor.page.click("#correction-link")
    visitor.page.wait_for_url(f"{url}/o/org/correction/")
    visitor.page.check("input[name=kind][value=contact]")
    assert _submit(visitor.page, "button.primary").status == 400  # what is wrong was left empty
    visitor.page.fill("#id_text", "Телефон изменился: +7 4812 00-00-00")
    _shot(visitor.page, name, "7-correction")
    assert _submit(visitor.page, "button.primary").status == 200
    _shot(visitor.page, name, "8-correction-sent")
    mails = _arrived(smtp_sink, 4)
    (to_owner,) = _to(mails, owner.email)[1:]
    (to_coordinator,) = _to(mails, COORDINATOR)[1:]
    owner_body = _keep(to_owner, name, "mail-5-correction-owner")
    coordinator_body = _keep(to_coordinator, name, "mail-6-correction-coordinator")
    assert "+7 4812 00-00-00" in owner_body and "+7 4812 00-00-00" in coordinator_body
    assert _links(owner_body) == [f"{url}/partner/o/org/"]
    correction = m.Correction.objects.get()
    assert _links(coordinator_body)[0] == f"{url}/partner/moderation/#correction-{correction.pk}"
    page.goto(_links(owner_body)[0])
    assert page.locator(f"#correction-{correction.pk}").count() == 1
    _shot(page, name, "9-owner-sees-correction")

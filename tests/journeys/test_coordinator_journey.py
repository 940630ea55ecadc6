"""A coalition gets its coordinator: a site moderator signs in, opens the
coordinators page from the queue, mistypes the address (the field says so and
nothing is saved), appoints the STOP SED coordinator; the e-mail goes through
the outbox into a local SMTP server, in Russian, and its link takes the
coordinator, once signed in, to the STOP SED queue."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.utils import translation

from orgs import models as m
from orgs import outbox, services
from tests import factories as f
from tests import people
from tests.journeys.conftest import JOURNEYS, SmtpSink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 850}}
COORDINATOR = "irina@example.org"


def _arrived(sink: SmtpSink, count: int) -> list[Any]:
    """The send-after-commit thread delivers; wait for it."""
    deadline = time.monotonic() + 15
    while len(sink.received()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    while outbox._running.locked() and time.monotonic() < deadline:
        time.sleep(0.05)
    return sink.received()


def _submit(page: Any, selector: str) -> Any:
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(selector)
    page.wait_for_load_state()
    return answer.value


def _shot(page: Any, name: str, step: str) -> None:
    page.screenshot(path=str(JOURNEYS / f"coordinator-{name}-{step}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (step, overflow)


def _sign_in(page: Any, email: str) -> None:
    page.fill("#id_username", email)
    page.fill("#id_password", people.PASSWORD)
    page.click("button.primary")


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_a_moderator_appoints_the_stop_sed_coordinator_who_opens_the_queue(
    name: str, make_site: Any, smtp_sink: SmtpSink, russian_default: None
) -> None:
    stop_sed = f.NetworkFactory(slug="stop-sed", name="СТОП СЭД", roles=["participant"])
    f.NetworkFactory(slug="alliance", name="Альянс", roles=["member", "candidate"])
    applicant = f.OrganisationFactory(slug="svetly-dom", name="АНО «Светлый дом»", status="pending")
    f.MembershipFactory(organisation=applicant, network=stop_sed, status="applied", role="participant")
    people.moderator()
    people.user("irina")
    smtp_sink.up()
    site = make_site(viewport=VIEWPORTS[name])
    page, url = site.page, site.url

    # 1. The moderator signs in and finds the page from the queue.
    page.goto(f"{url}/accounts/login/")
    _sign_in(page, "moder@example.org")
    page.wait_for_url(f"{url}/partner/")
    page.goto(f"{url}/partner/moderation/")
    page.click("a[href='/partner/moderation/coordinators/']")
    page.wait_for_url(f"{url}/partner/moderation/coordinators/")
    assert page.locator("#network-stop-sed").count() == 1
    _shot(page, name, "1-page")

    # 2. A typo: the field says no account uses it; nothing is saved, nothing sent.
    page.fill("#id_net-stop-sed-email", "irnia@example.org")
    assert _submit(page, "#network-stop-sed button.primary").status == 400
    error = page.locator("#id_net-stop-sed-email_error")
    with translation.override("ru"):  # the page's language, whether or not the catalogue has it yet
        assert str(services.NO_ACCOUNT) in error.inner_text()
    assert page.input_value("#id_net-stop-sed-email") == "irnia@example.org"
    _shot(page, name, "2-typo")
    assert not m.NetworkCoordinator.objects.exists()

    # 3. The right address.
    page.fill("#id_net-stop-sed-email", COORDINATOR.upper())
    assert _submit(page, "#network-stop-sed button.primary").status == 302
    page.wait_for_url(f"{url}/partner/moderation/coordinators/")
    assert COORDINATOR in page.locator("#network-stop-sed .people").inner_text()
    _shot(page, name, "3-appointed")

    # 4. The mail: to her, in Russian, naming the coalition, with a link to the queue.
    (mail,) = _arrived(smtp_sink, 1)
    assert mail["To"] == COORDINATOR
    assert "СТОП СЭД" in str(mail["Subject"])
    body = mail.get_content()
    assert "СТОП СЭД" in body and "Очередь модерации:" in body, body
    (link,) = re.findall(r"https?://\S+", body)
    assert link == f"{url}/partner/moderation/"
    (JOURNEYS / f"coordinator-{name}-mail.txt").write_text(
        f"To: {mail['To']}\nSubject: {mail['Subject']}\n\n{body}", encoding="utf-8"
    )

    # 5. She follows it, signs in, and sees the STOP SED applicant waiting.
    coordinator = make_site(viewport=VIEWPORTS[name])
    coordinator.page.goto(link)
    coordinator.page.wait_for_url("**/accounts/login/**")
    _sign_in(coordinator.page, COORDINATOR)
    coordinator.page.wait_for_url(f"{url}/partner/moderation/")
    assert coordinator.page.locator("#org-svetly-dom").count() == 1
    assert "АНО «Светлый дом»" in coordinator.page.content()
    # Every fact of the listing is readable: on a phone a long label once left
    # its value a column a letter or two wide ("02.1 / 2.20 / 26").
    value_widths = coordinator.page.eval_on_selector_all(
        "#org-svetly-dom .facts dd", "nodes => nodes.map(n => n.getBoundingClientRect().width)"
    )
    assert value_widths and min(value_widths) >= 0.5 * VIEWPORTS[name]["width"] * (0.5 if name == "desktop" else 1)
    _shot(coordinator.page, name, "4-coordinator-queue")
    # She is not a site moderator: the coordinators page is not hers.
    assert coordinator.page.goto(f"{url}/partner/moderation/coordinators/").status == 404

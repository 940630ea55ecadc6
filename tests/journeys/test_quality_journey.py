"""A coordinator keeps the coalition's listings useful: from the partner
dashboard she opens STOP SED's data quality page, sees which member lacks
what (the one with the most gaps first), and reminds its owner in one click;
the e-mail goes through the outbox into a local SMTP server, in Russian,
lists what is missing and links to the listing, which the owner opens once
signed in. A second click the same week is refused on the page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from orgs import models as m
from tests import factories as f
from tests import people
from tests.journeys.conftest import JOURNEYS, SmtpSink
from tests.journeys.test_coordinator_journey import VIEWPORTS, _arrived, _sign_in, _submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page: Any, name: str, step: str) -> None:
    page.screenshot(path=str(JOURNEYS / f"quality-{name}-{step}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (step, overflow)


def _member(network: m.Network, **org: Any) -> m.Organisation:
    # One transaction: the presence trigger (a published listing has a place)
    # is checked at commit, after the place is added.
    with transaction.atomic():
        organisation = f.OrganisationFactory(located=False, **org)
        f.LocationFactory(organisation=organisation)
        m.Membership.objects.create(
            organisation=organisation, network=network, role="participant", status=m.MembershipStatus.ACTIVE
        )
    return organisation


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_a_coordinator_sees_what_members_lack_and_reminds_an_owner(
    name: str, make_site: Any, smtp_sink: SmtpSink, russian_default: None
) -> None:
    stop_sed = f.NetworkFactory(slug="stop-sed", name="СТОП СЭД", roles=["participant"])
    complete = _member(stop_sed, slug="polny", name="ЦППС «Полный»", email="help@example.org")
    m.Organisation.objects.filter(pk=complete.pk).update(last_verified_at=timezone.localdate())
    f.OpeningHoursFactory(location=complete.locations.get())
    f.ServiceFactory(organisation=complete)
    bare = _member(stop_sed, slug="svetly-dom", name="АНО «Светлый дом»")
    m.OrganisationAccess.objects.create(organisation=bare, user=people.user("owner"))
    m.NetworkCoordinator.objects.create(network=stop_sed, user=people.user("irina"))
    smtp_sink.up()
    site = make_site(viewport=VIEWPORTS[name])
    page, url = site.page, site.url

    # 1. From her dashboard to the coalition's quality page.
    page.goto(f"{url}/accounts/login/")
    _sign_in(page, "irina@example.org")
    page.wait_for_url(f"{url}/partner/")
    page.click("a[href='/partner/coalitions/stop-sed/quality/']")
    page.wait_for_url(f"{url}/partner/coalitions/stop-sed/quality/")
    cards = page.locator(".quality-list > li")
    assert cards.count() == 2
    first = cards.nth(0).inner_text()
    assert "Светлый дом" in first and "Нет публичного телефона, e-mail или сайта" in first
    assert "Место приёма без часов работы" in first and "Не указано ни одной услуги" in first
    assert "Всё заполнено." in cards.nth(1).inner_text()
    _shot(page, name, "1-quality")

    # 2. One click reminds the owner; the page says so and offers no second click.
    assert _submit(page, "#quality-svetly-dom button").status == 302
    page.wait_for_url(f"{url}/partner/coalitions/stop-sed/quality/")
    assert "Владельцам карточки «АНО «Светлый дом»» отправлено напоминание." in page.inner_text("main")
    assert page.locator("#quality-svetly-dom button").count() == 0
    _shot(page, name, "2-reminded")

    # 3. The mail: to the owner, in Russian, what is missing, a link to the listing.
    (mail,) = _arrived(smtp_sink, 1)
    assert mail["To"] == "owner@example.org"
    # Python folds a long encoded subject after "Subject:"; readers ignore that space.
    assert str(mail["Subject"]).strip() == "Help Locator: в карточке «АНО «Светлый дом»» не хватает нескольких сведений"
    body = mail.get_content()
    assert "СТОП СЭД" in body and "- Нет публичного телефона, e-mail или сайта" in body, body
    (link,) = re.findall(r"https?://\S+", body)
    assert link == f"{url}/partner/o/svetly-dom/"
    (JOURNEYS / f"quality-{name}-mail.txt").write_text(
        f"To: {mail['To']}\nSubject: {mail['Subject']}\n\n{body}", encoding="utf-8"
    )

    # 4. The owner follows it and, signed in, is on the listing's page.
    owner = make_site(viewport=VIEWPORTS[name])
    owner.page.goto(link)
    owner.page.wait_for_url("**/accounts/login/**")
    _sign_in(owner.page, "owner@example.org")
    owner.page.wait_for_url(link)
    assert "Светлый дом" in owner.page.inner_text("h1")
    _shot(owner.page, name, "3-owner")

"""Coordinators hear of each new item in their queue (or read it in a daily
digest, by their choice), in their language, with a link into the queue;
an item no coordinator covers goes to the site's coordinators' address."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation

from orgs import models as m
from orgs import services
from orgs.services import notifications
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db

BASE = "https://help.example"


@pytest.fixture
def coalition() -> tuple[m.Network, object, m.Organisation]:
    network = f.NetworkFactory(slug="stop-sed", name="СТОП СЭД", roles=["participant"])
    coordinator = people.user("irina")
    m.NetworkCoordinator.objects.create(network=network, user=coordinator)
    member = f.OrganisationFactory(slug="member", name="АНО «Тебе поверят»")
    f.MembershipFactory(organisation=member, network=network, status="active", role="participant")
    return network, coordinator, member


def _to(address: str) -> list[mail.EmailMessage]:
    return [msg for msg in mail.outbox if address in msg.to]


def test_a_claim_reaches_the_coordinator_with_a_link_to_it(coalition, settings) -> None:
    settings.PUBLIC_BASE_URL = BASE
    _network, coordinator, member = coalition
    claimant = people.user("anna")
    claim = services.claim_create(user=claimant, organisation=member, message="Я директор, +7 900 000-00-00")
    (msg,) = _to(coordinator.email)
    with translation.override("en"):
        assert msg.subject == f"Help Locator: {notifications.KIND_LABELS['claim']} — АНО «Тебе поверят»"
    assert claimant.email in msg.body
    assert f"{BASE}/partner/moderation/#claim-{claim.pk}" in msg.body
    assert f"{BASE}/partner/notifications/" in msg.body


def test_the_coordinator_mail_is_in_their_language(coalition, russian_default) -> None:
    _network, coordinator, member = coalition
    services.notification_preference_set(user=coordinator, mode="each", language="uk")
    services.claim_create(user=people.user("anna"), organisation=member, message="Директор")
    (msg,) = _to(coordinator.email)
    with translation.override("uk"):
        assert str(notifications.KIND_LABELS["claim"]) in msg.subject


def test_a_digest_reader_gets_no_mail_per_item_but_a_digest_once_a_day(coalition) -> None:
    _network, coordinator, member = coalition
    services.notification_preference_set(user=coordinator, mode="digest")
    services.claim_create(user=people.user("anna"), organisation=member, message="Директор")
    assert not _to(coordinator.email)
    call_command("queue_digest", "--base-url", BASE)
    (digest,) = _to(coordinator.email)
    assert "АНО «Тебе поверят»" in digest.body and f"{BASE}/partner/moderation/" in digest.body
    # The same day again: nothing new is sent.
    call_command("queue_digest", "--base-url", BASE)
    assert len(_to(coordinator.email)) == 1
    # A day later with nothing new since: still nothing.
    result = services.digest_send(base_url=BASE, now=timezone.now() + dt.timedelta(days=1))
    assert result.sent == 0 and result.nothing_new == 1


def test_a_change_request_names_the_fields_in_words(coalition, settings) -> None:
    settings.PUBLIC_BASE_URL = BASE
    _network, coordinator, member = coalition
    owner = people.user("owner")
    m.OrganisationAccess.objects.create(organisation=member, user=owner)
    services.organisation_update(user=owner, organisation=member, changes={"name": "АНО «Тебе поверят» (новое)"})
    (msg,) = _to(coordinator.email)
    assert "- Name: «АНО «Тебе поверят»» → «АНО «Тебе поверят» (новое)»" in msg.body
    # The owner's own decision mail names the same change once it is decided.
    cr = m.ChangeRequest.objects.get()
    mail.outbox.clear()
    services.change_request_decide(user=coordinator, change_request=cr, approve=False, reason="Нет в реестре")
    (decision,) = _to(owner.email)
    assert "«АНО «Тебе поверят» (новое)»" in decision.body and "Нет в реестре" in decision.body
    assert f"{BASE}/partner/o/member/" in decision.body


def test_a_registration_that_applies_is_one_mail_to_that_coalition(coalition) -> None:
    network, coordinator, _member = coalition
    applicant = f.OrganisationFactory(slug="new", status="pending")
    services.membership_apply(user=people.moderator(), organisation=applicant, network=network, role="participant")
    # A pending listing's application is announced with the registration, not on its own.
    assert not _to(coordinator.email)
    notifications.queue_item_added(kind=notifications.REGISTRATION, organisation=applicant, key=applicant.slug)
    assert len(_to(coordinator.email)) == 1


def test_an_item_no_coordinator_covers_goes_to_the_site_coordinators(coalition) -> None:
    loner = f.OrganisationFactory(slug="loner")
    services.claim_create(user=people.user("anna"), organisation=loner, message="Директор")
    (msg,) = mail.outbox
    assert msg.to == [settings.COORDINATORS_EMAIL]


def test_the_mail_is_an_outbox_row_of_the_item_s_transaction(coalition, settings) -> None:
    settings.EMAIL_BACKEND = "orgs.outbox.OutboxBackend"
    settings.OUTBOX_SEND_ON_COMMIT = False
    _network, coordinator, member = coalition
    anna = people.user("anna")
    queued = []

    def claim_then_fail() -> None:
        with transaction.atomic():
            services.claim_create(user=anna, organisation=member, message="Директор")
            queued.append(m.OutgoingEmail.objects.filter(to=[coordinator.email]).count())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        claim_then_fail()
    assert queued == [1]
    assert not m.OutgoingEmail.objects.exists() and not m.Claim.objects.exists()


def test_the_preference_page_saves_the_choice(coalition) -> None:
    _network, coordinator, _member = coalition
    client = people.pages_as(coordinator)
    page = client.get("/partner/")
    assert "/partner/notifications/" in page.content.decode()
    assert client.post("/partner/notifications/", {"mode": "digest", "language": "uk"}).status_code == 302
    pref = m.NotificationPreference.objects.get(user=coordinator)
    assert (pref.mode, pref.language) == ("digest", "uk")
    bad = client.post("/partner/notifications/", {"mode": "weekly"})
    assert bad.status_code == 400


def test_a_candidate_is_told_until_when(russian_default, settings) -> None:
    settings.PUBLIC_BASE_URL = BASE
    network = f.NetworkFactory(slug="alliance", name="Альянс", roles=["member", "candidate"], candidate_term_days=365)
    owner = people.user("owner")
    org = people.owned(owner)
    ms = f.MembershipFactory(organisation=org, network=network, status="applied", role="member")
    today = dt.date(2026, 3, 1)
    services.membership_decide(user=people.moderator(), membership=ms, decision="accept_as_candidate", today=today)
    (msg,) = _to(owner.email)
    # The term's end in words, and where to read the coalition's rules.
    assert "1 марта 2027" in msg.body, msg.body
    assert f"{BASE}/networks/alliance/" in msg.body and f"{BASE}/partner/o/org/" in msg.body

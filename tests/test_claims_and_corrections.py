"""'Is this your organisation?' and 'suggest a correction' on a public listing,
and a rejected listing sent for checking again."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import translation

from orgs import models as m
from orgs import services
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


@pytest.fixture
def listing() -> m.Organisation:
    return f.OrganisationFactory(slug="dom", name="ОФ «Дом»")


def test_every_public_page_offers_the_claim_and_the_correction(listing) -> None:
    page = people.pages_as().get("/o/dom/").content.decode()
    assert 'href="/partner/claim/dom/"' in page and 'href="/o/dom/correction/"' in page


def test_an_empty_claim_message_is_refused_on_the_field(listing) -> None:
    anna = people.user("anna")
    api = people.api_as(anna).post(f"{V1}/partner/organisations/dom/claim", {"message": "  "}, format="json")
    assert api.status_code == 400
    assert api.json() == {"message": [str(services.CLAIM_MESSAGE_REQUIRED)]}
    page = people.pages_as(anna).post("/partner/claim/dom/", {"message": ""})
    assert page.status_code == 400
    assert str(services.CLAIM_MESSAGE_REQUIRED) in page.content.decode()
    assert not m.Claim.objects.exists()


def test_a_second_claim_is_told_one_is_pending_not_a_database_error(listing) -> None:
    anna = people.user("anna")
    client = people.pages_as(anna)
    assert client.post("/partner/claim/dom/", {"message": "Директор"}).status_code == 302
    again = client.post("/partner/claim/dom/", {"message": "Директор, ещё раз"})
    assert again.status_code == 400
    text = again.content.decode()
    assert str(services.CLAIM_PENDING) in text and "claim_one_pending_per_user" not in text
    api = people.api_as(anna).post(f"{V1}/partner/organisations/dom/claim", {"message": "ещё"}, format="json")
    assert api.status_code == 400 and api.json() == {"non_field_errors": [str(services.CLAIM_PENDING)]}
    assert m.Claim.objects.count() == 1


def test_sign_up_from_a_claim_returns_to_it(listing, settings) -> None:
    client = people.pages_as()
    login = client.get("/partner/claim/dom/", follow=True)
    assert 'href="/accounts/signup/?next=/partner/claim/dom/"' in login.content.decode()
    client.post(
        "/accounts/signup/?next=/partner/claim/dom/",
        {
            "email": "new@example.org",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
            "next": "/partner/claim/dom/",
        },
    )
    (activation,) = mail.outbox
    link = next(w for w in activation.body.split() if "/accounts/activate/" in w)
    assert link.endswith("?next=%2Fpartner%2Fclaim%2Fdom%2F")
    answer = client.get(link.replace("http://testserver", ""))
    assert answer.status_code == 302 and answer["Location"] == "/accounts/login/?next=%2Fpartner%2Fclaim%2Fdom%2F"
    # Another site is never where the link returns to.
    evil = client.get("/accounts/signup/?next=https://evil.example/")
    assert 'name="next" value="https://evil' not in evil.content.decode()


def test_a_rejected_listing_is_corrected_and_sent_back(settings) -> None:
    owner = people.user("owner")
    org = people.owned(owner, status=m.PublicationStatus.REJECTED, moderation_reason="Нет адреса")
    client = people.pages_as(owner)
    edit = client.get("/partner/o/org/edit/").content.decode()
    assert "Нет адреса" in edit and 'id="rejected-reason"' in edit
    page = client.get("/partner/o/org/").content.decode()
    assert 'action="/partner/o/org/resubmit/"' in page
    assert client.post("/partner/o/org/resubmit/").status_code == 302
    org.refresh_from_db()
    assert org.status == m.PublicationStatus.PENDING
    # No coalition looks after it: the site's coordinators hear why it came back.
    (note,) = mail.outbox
    assert note.to == [settings.COORDINATORS_EMAIL] and "Нет адреса" in note.body
    # Only a rejected listing goes back; a stranger cannot send it.
    assert client.post("/partner/o/org/resubmit/").status_code == 302
    with pytest.raises(ValidationError) as refused:
        services.organisation_resubmit(user=owner, organisation=org)
    assert refused.value.message_dict == {"status": [str(services.NOT_REJECTED)]}
    assert people.pages_as(people.user("stranger")).post("/partner/o/org/resubmit/").status_code == 404


def test_a_visitor_suggests_a_correction_the_owner_and_coordinator_hear(settings) -> None:
    owner = people.user("owner")
    org = people.owned(owner)
    network = f.NetworkFactory(slug="stop-sed")
    coordinator = people.user("irina")
    m.NetworkCoordinator.objects.create(network=network, user=coordinator)
    f.MembershipFactory(organisation=org, network=network, status="active")
    visitor = people.pages_as()
    form = visitor.get("/o/org/correction/")
    assert form.status_code == 200 and 'name="website"' in form.content.decode()
    empty = visitor.post("/o/org/correction/", {"kind": "contact", "text": ""})
    assert empty.status_code == 400 and str(services.CORRECTION_TEXT_REQUIRED) in empty.content.decode()
    sent = visitor.post(
        "/o/org/correction/", {"kind": "contact", "text": "Телефон теперь +7 811 200-00-00", "email": ""}
    )
    assert sent.status_code == 200
    correction = m.Correction.objects.get()
    assert (correction.kind, correction.email) == ("contact", "")
    to_owner = [msg for msg in mail.outbox if msg.to == [owner.email]]
    to_coordinator = [msg for msg in mail.outbox if msg.to == [coordinator.email]]
    assert len(to_owner) == 1 and len(to_coordinator) == 1
    assert "+7 811 200-00-00" in to_owner[0].body and "http://testserver/partner/o/org/" in to_owner[0].body
    # In both queues, and dealt with from either.
    assert (
        f'id="correction-{correction.pk}"' in people.pages_as(coordinator).get("/partner/moderation/").content.decode()
    )
    assert f'id="correction-{correction.pk}"' in people.pages_as(owner).get("/partner/o/org/").content.decode()
    assert (
        people.pages_as(people.user("stranger")).post(f"/partner/corrections/{correction.pk}/done/").status_code == 404
    )
    assert people.pages_as(owner).post(f"/partner/corrections/{correction.pk}/done/").status_code == 302
    correction.refresh_from_db()
    assert correction.resolved_at is not None


def test_the_trap_and_the_limit_refuse_without_saving(settings) -> None:
    org = f.OrganisationFactory(slug="dom")
    visitor = people.pages_as()
    bot = visitor.post("/o/dom/correction/", {"kind": "closed", "text": "spam", "website": "http://spam"})
    assert bot.status_code == 400 and not m.Correction.objects.exists()
    for _ in range(services.corrections.PER_CLIENT_PER_HOUR):
        assert visitor.post("/o/dom/correction/", {"kind": "closed", "text": "Закрыто"}).status_code == 200
    over = visitor.post("/o/dom/correction/", {"kind": "closed", "text": "Закрыто"})
    assert over.status_code == 429
    with translation.override("en"):
        assert str(services.corrections.TOO_MANY) in over.content.decode()
    assert m.Correction.objects.filter(organisation=org).count() == services.corrections.PER_CLIENT_PER_HOUR

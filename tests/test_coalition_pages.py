"""The coalition's page for its coordinators (the queue with recommenders,
their words and the checklist; decisions with a reason; the contact
address; co-coordinators), the public coalition page's "how to join", and
the admin that cannot change a membership's status past the rules."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from orgs import models as m
from orgs import services
from tests import factories as f
from tests import people
from tests.partner_pages import make_coordinator, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    net = f.NetworkFactory(
        slug="alliance",
        name="Альянс",
        roles=["member", "candidate"],
        min_recommendations=2,
        candidate_term_days=365,
        eligibility=[{"key": "three_years", "text": "Три года практики"}],
    )
    coordinator = make_coordinator(net)
    owner = people.user("owner")
    org = f.OrganisationFactory(slug="smolensk", name="Смоленский центр")
    m.OrganisationAccess.objects.create(organisation=org, user=owner)
    ms = services.membership_apply(
        user=owner, organisation=org, network=net, role="member", answers={"three_years": True}
    )
    recommender_owner = people.user("rec")
    rec = f.OrganisationFactory(slug="rec", name="ОФ «Рекомендует»")
    f.MembershipFactory(organisation=rec, network=net)
    m.OrganisationAccess.objects.create(organisation=rec, user=recommender_owner)
    services.membership_recommend(user=recommender_owner, recommender=rec, membership=ms, text="Работаем вместе")
    # The coordinators' notice of the application (tests/test_queue_notifications.py);
    # these tests count the mails of the decisions.
    mail.outbox.clear()
    return {"net": net, "coordinator": coordinator, "ms": ms, "owner": owner}


def test_the_queue_shows_recommenders_their_words_and_the_answers(world) -> None:
    page = people.pages_as(world["coordinator"]).get("/partner/coalitions/alliance/")
    assert page.status_code == 200
    text = page_text(page)
    assert "ОФ «Рекомендует»" in text and "Работаем вместе" in text
    assert "Три года практики" in text and "meets it" in text and "1 / 2" in text


@pytest.mark.parametrize("who", ["owner", "stranger"])
def test_no_one_else_sees_the_page(world, who) -> None:
    account = world["owner"] if who == "owner" else people.user("stranger")
    assert people.pages_as(account).get("/partner/coalitions/alliance/").status_code == 404


def test_a_refused_decision_is_shown_on_its_item_and_nothing_changes(world, mailoutbox) -> None:
    url = reverse("frontend:partner:coalition_decide", args=["alliance", world["ms"].pk])
    page = people.pages_as(world["coordinator"]).post(url, {"decision": "reject", "reason": ""})
    assert page.status_code == 400
    assert "Give the reason: it is sent to the organisation." in page_text(page)
    assert m.Membership.objects.get(pk=world["ms"].pk).status == "applied" and mailoutbox == []
    page = people.pages_as(world["coordinator"]).post(url, {"decision": "accept"})
    assert page.status_code == 400 and "this application has 1" in page_text(page)


def test_the_coordinator_confirms_the_answers_then_accepts_as_candidate(world, mailoutbox) -> None:
    client = people.pages_as(world["coordinator"])
    url = reverse("frontend:partner:coalition_decide", args=["alliance", world["ms"].pk])
    assert client.post(url, {"decision": "confirm_eligibility"}).status_code == 302
    assert client.post(url, {"decision": "accept_as_candidate"}).status_code == 302
    ms = m.Membership.objects.get(pk=world["ms"].pk)
    assert (ms.role, ms.status, ms.eligibility_confirmed_by) == ("candidate", "active", world["coordinator"])
    (message,) = mailoutbox
    assert message.to == ["owner@example.org"] and "http://testserver/partner/o/smolensk/" in message.body


def test_the_contact_address_is_edited_and_shown_publicly(world) -> None:
    client = people.pages_as(world["coordinator"])
    bad = client.post("/partner/coalitions/alliance/contact/", {"contact_email": "board at alliance"})
    assert bad.status_code == 400 and 'value="board at alliance"' in bad.content.decode()
    assert (
        client.post("/partner/coalitions/alliance/contact/", {"contact_email": "board@alliance.org"}).status_code == 302
    )
    public = page_text(people.pages_as().get("/networks/alliance/"))
    assert "board@alliance.org" in public and "Три года практики" in public
    assert "2 recommendations from members" in public


def test_the_public_page_without_an_address_gives_the_sites(world, settings) -> None:
    settings.COORDINATORS_EMAIL = "team@help.example"
    assert "team@help.example" in page_text(people.pages_as().get("/networks/alliance/"))


def test_the_admin_shows_status_read_only_and_ignores_a_posted_one(world) -> None:
    admin = people.user("root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = people.pages_as(admin)
    url = reverse("admin:orgs_membership_change", args=[world["ms"].pk])
    form = client.get(url).content.decode()
    assert 'name="status"' not in form and 'name="role"' not in form
    client.post(url, {"status": "active", "role": "member", "source": "x"})
    ms = m.Membership.objects.get(pk=world["ms"].pk)
    assert (ms.status, ms.role) == ("applied", "member")


def test_an_application_sent_without_answers_is_answered_from_the_organisations_page(world) -> None:
    org = f.OrganisationFactory(slug="late", name="Поздние")
    m.OrganisationAccess.objects.create(organisation=org, user=world["owner"])
    ms = services.membership_apply(user=world["owner"], organisation=org, network=world["net"], role="member")
    client = people.pages_as(world["owner"])
    assert 'name="elig_three_years"' in client.get("/partner/o/late/").content.decode()
    url = reverse("frontend:partner:membership_answers", args=["late", ms.pk])
    assert client.post(url, {"elig_three_years": "on"}).status_code == 302
    assert m.Membership.objects.get(pk=ms.pk).answers == {"three_years": True}
    assert people.pages_as(people.user("nosy")).post(url, {"elig_three_years": "on"}).status_code == 404


def test_the_co_coordinators_link_opens_a_page_whose_button_accepts(world, mailoutbox) -> None:
    invitee = people.user("co")
    client = people.pages_as(world["coordinator"])
    refused = client.post("/partner/coalitions/alliance/invite/", {"email": "bad"})
    assert refused.status_code == 400 and 'value="bad"' in refused.content.decode()
    assert client.post("/partner/coalitions/alliance/invite/", {"email": "co@example.org"}).status_code == 302
    (message,) = mailoutbox
    path = re.search(r"http://testserver(\S+)", message.body).group(1)  # type: ignore[union-attr]
    assert path.startswith("/partner/coordinator-invitation/?token=")
    signed_out = people.pages_as().get(path)
    assert signed_out.status_code == 200 and "/accounts/login/" in signed_out.content.decode()
    theirs = people.pages_as(invitee)
    assert theirs.get(path).status_code == 200 and not m.NetworkCoordinator.objects.filter(user=invitee).exists()
    token = path.split("token=", 1)[1]
    assert theirs.post(path, {"token": token}).status_code == 302
    assert m.NetworkCoordinator.objects.get(user=invitee).appointed_by == world["coordinator"]
    assert theirs.post(path, {"token": token}).status_code == 400


def test_a_membership_added_in_the_admin_is_an_application(world) -> None:
    admin = people.user("root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    org = f.OrganisationFactory(slug="added")
    client = people.pages_as(admin)
    url = reverse("admin:orgs_membership_add")
    # The read-only recommendations inline's management form comes with the page.
    inline = {f"recommendations-{k}": v for k, v in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))}
    bad = client.post(url, {"organisation": org.pk, "network": world["net"].pk, "role": "partner", **inline})
    assert bad.status_code == 200 and "role" in bad.context_data["adminform"].form.errors
    assert not m.Membership.objects.filter(organisation=org).exists()
    added = client.post(url, {"organisation": org.pk, "network": world["net"].pk, "role": "member", **inline})
    assert added.status_code == 302, added.context_data["adminform"].form.errors if added.context_data else added
    ms = m.Membership.objects.get(organisation=org)
    assert (ms.status, ms.role) == ("applied", "member")

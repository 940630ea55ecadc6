"""The partner pages: the moderation queue and its decisions, coalition
applications and recommendations, and every page in the default language."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from orgs import models as m
from tests import factories as f
from tests import people
from tests.partner_pages import (
    QUEUE,
    REGISTER,
    make_coordinator,
    make_taxonomy,
    page_text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxonomy() -> dict[str, Any]:
    return make_taxonomy()


# --- moderation ----------------------------------------------------------------------------------


def test_rejecting_needs_a_reason_and_keeps_it_typed(moderator, mailoutbox) -> None:
    owner = people.user("owner")
    org = people.owned(owner, name="Старое имя", with_place=False, status="pending")
    f.LocationFactory(organisation=org)
    client = people.pages_as(moderator)
    refused = client.post("/partner/moderation/organisations/org/", {"status": "rejected", "reason": "  "})
    assert refused.status_code == 400
    assert "Give the reason" in page_text(refused)
    assert org.name in page_text(refused)  # the queue is shown again
    response = client.post("/partner/moderation/organisations/org/", {"status": "rejected", "reason": "Нет данных"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.status == "rejected"
    assert "Нет данных" in mailoutbox[-1].body and mailoutbox[-1].to == ["owner@example.org"]
    assert "Нет данных" in page_text(people.pages_as(owner).get("/partner/"))


def test_a_moderator_suspends_a_listing_from_its_page(moderator, mailoutbox) -> None:
    owner = people.user("owner")
    org = people.owned(owner, name="Старое имя", with_place=False)
    client = people.pages_as(moderator)
    assert "Suspend: remove from the directory" in page_text(client.get("/partner/o/org/"))
    # The owner does not get the moderator's buttons.
    assert "Suspend: remove from the directory" not in page_text(people.pages_as(owner).get("/partner/o/org/"))
    page = page_text(
        client.post(
            "/partner/moderation/organisations/org/", {"status": "suspended", "next": "organisation"}, follow=True
        )
    )
    assert "Give the reason" in page
    org.refresh_from_db()
    assert org.status == "published"
    data = {"status": "suspended", "reason": "Жалобы", "next": "organisation"}
    response = client.post("/partner/moderation/organisations/org/", data)
    assert response.status_code == 302 and response.url == "/partner/o/org/"
    org.refresh_from_db()
    assert org.status == "suspended"
    assert people.pages_as().get("/o/org/").status_code == 404
    assert people.pages_as().get("/api/v1/organisations/org").status_code == 404
    assert "Жалобы" in mailoutbox[-1].body


# The rule is a deferred trigger, checked when the service's transaction commits:
# only a test that really commits sees it.
@pytest.mark.django_db(transaction=True)
def test_publishing_a_listing_nobody_could_find_is_explained_not_a_crash(moderator) -> None:
    owner = people.user("owner")
    org = people.owned(owner, name="Старое имя", with_place=False, status="pending")  # no place, no service
    response = people.pages_as(moderator).post("/partner/moderation/organisations/org/", {"status": "published"})
    assert response.status_code == 400
    assert "needs at least one place" in page_text(response)
    org.refresh_from_db()
    assert org.status == "pending"


def test_coalition_applications_are_decided_by_its_coordinator_only(taxonomy, mailoutbox) -> None:
    alliance = taxonomy["alliance"]
    alliance.min_recommendations, alliance.candidate_term_days = 2, 365
    alliance.save()
    owner = people.user("owner")
    org = people.owned(owner, name="Старое имя", with_place=False)
    client = people.pages_as(owner)
    client.post("/partner/o/org/apply/", {"net-net_alliance": "member"})
    ms = m.Membership.objects.get(organisation=org)
    assert (ms.network, ms.role, ms.status) == (alliance, "member", "applied")

    other = people.pages_as(make_coordinator(taxonomy["stop_sed"], "other"))
    assert "Applications to coalitions (0)" in page_text(other.get(QUEUE))
    # Another coalition's application: not theirs to see.
    assert other.post(f"/partner/moderation/memberships/{ms.pk}/", {"decision": "accept"}).status_code == 404

    coordinator = people.pages_as(make_coordinator(alliance))
    queue = page_text(coordinator.get(QUEUE))
    assert "Applications to coalitions (1)" in queue and "Accept as a candidate for 365 days" in queue
    refused = coordinator.post(f"/partner/moderation/memberships/{ms.pk}/", {"decision": "accept"})
    assert refused.status_code == 400 and "this application has 0" in page_text(refused)
    response = coordinator.post(f"/partner/moderation/memberships/{ms.pk}/", {"decision": "accept_as_candidate"})
    assert response.status_code == 302
    ms.refresh_from_db()
    assert (ms.role, ms.status) == ("candidate", "active")
    assert mailoutbox[-1].to == ["owner@example.org"]


def test_members_recommend_applicants_from_their_page(taxonomy) -> None:
    alliance = taxonomy["alliance"]
    member_user = people.user("member")
    member = f.OrganisationFactory(name="Член альянса")
    f.MembershipFactory(organisation=member, network=alliance, role="member")
    m.OrganisationAccess.objects.create(organisation=member, user=member_user)
    applicant = f.OrganisationFactory(name="Заявитель")
    ms = m.Membership.objects.create(organisation=applicant, network=alliance, role="member", status="applied")
    client = people.pages_as(member_user)
    assert "Applications to your coalitions that you can recommend" in page_text(client.get("/partner/"))
    page = page_text(client.get("/partner/recommend/"))
    assert "Заявитель" in page
    response = client.post("/partner/recommend/", {"membership": ms.pk, "recommender": member.slug})
    assert response.status_code == 302
    assert ms.recommendations.get().recommender == member
    assert "You have recommended it" in page_text(client.get("/partner/recommend/"))


@pytest.mark.usefixtures("taxonomy")
@pytest.mark.usefixtures("russian_default")
@pytest.mark.usefixtures("russian_default")
def test_every_page_renders_in_the_default_language(moderator) -> None:
    org = people.owned(moderator, name="Старое имя", with_place=False)
    client = Client()  # no Accept-Language: Russian, the site's first language
    for url in ("/accounts/login/", "/accounts/signup/", "/accounts/password-reset/"):
        response = client.get(url)
        assert response.status_code == 200 and '<html lang="ru">' in page_text(response), url
    client.force_login(moderator)
    location = org.locations.get()
    for url in (
        "/partner/",
        REGISTER,
        QUEUE,
        "/partner/o/org/",
        "/partner/o/org/edit/",
        f"/partner/o/org/locations/{location.pk}/",
        f"/partner/o/org/locations/{location.pk}/remove/",
        "/partner/o/org/locations/new/",
        "/partner/o/org/editors/",
        "/partner/o/org/services/new/",
        "/partner/recommend/",
    ):
        response = client.get(url)
        assert response.status_code == 200 and '<html lang="ru">' in page_text(response), url

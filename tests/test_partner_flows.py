"""Partners register and maintain their listings; coalitions moderate and
govern membership by their own rules; listings stay fresh."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from orgs import models as m
from orgs import moderation, services
from orgs.permissions import MODERATORS_GROUP
from tests import factories as f

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


@pytest.fixture
def partner() -> User:
    return User.objects.create_user("partner", "partner@example.org", "a-long-password-1")


@pytest.fixture
def moderator() -> User:
    user = User.objects.create_user("moder", "moder@example.org", "a-long-password-1")
    user.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
    return user


def _as(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


REGISTRATION = {
    "name": "АНО «Светлый дом»",
    "legal_form": "ano",
    "ogrn": "1027700132195",
    "inn": "7707083893",
    "description": "Психологическая помощь детям, пережившим насилие.",
    "locations": [
        {
            "lat": 57.8136,
            "lon": 28.3496,
            "address": "ул. Примерная, 1",
            "city": "Псков",
            "visibility": "approximate",
            "hours": [{"weekday": 0, "opens": "09:00", "closes": "18:00"}],
        }
    ],
    "services": [
        {
            "name": "Консультация психолога",
            "categories": ["psychological-help"],
            "target_groups": ["children-survivors"],
            "formats": ["in_person", "online"],
            "locations": [0],
        }
    ],
    "networks": [{"network": "stop-sed", "role": "participant"}],
}


@pytest.fixture
def taxonomy() -> None:
    f.CategoryFactory(slug="psychological-help")
    f.TargetGroupFactory(slug="children-survivors")
    f.NetworkFactory(slug="stop-sed", roles=["participant"])


@pytest.mark.usefixtures("taxonomy")
def test_registration_is_pending_until_approved(partner, moderator, api, mailoutbox) -> None:
    response = _as(partner).post(f"{V1}/partner/organisations", REGISTRATION, format="json")
    assert response.status_code == 201, response.json()
    slug = response.json()["slug"]
    assert slug.startswith("ano-svetlyy-dom") or slug.startswith("ano-svetlyi-dom") or "svetl" in slug
    org = m.Organisation.objects.get(slug=slug)
    assert org.status == "pending"
    assert org.access.get().user == partner
    assert org.locations.get().hours.count() == 1
    assert org.memberships.get().status == "applied"
    # Not public yet.
    assert api.get(f"{V1}/organisations/{slug}").status_code == 404
    assert api.get(f"{V1}/nearest", {"lat": 57.81, "lon": 28.34}).json()["results"] == []
    # A moderator approves; the owner is told; it is public at once.
    response = _as(moderator).post(f"{V1}/moderation/organisations/{slug}", {"status": "published"}, format="json")
    assert response.status_code == 200
    assert mailoutbox and mailoutbox[-1].to == ["partner@example.org"]
    assert api.get(f"{V1}/organisations/{slug}").status_code == 200
    results = api.get(f"{V1}/nearest", {"lat": 57.81, "lon": 28.34}).json()["results"]
    assert [r["organisation"]["slug"] for r in results] == [slug]


@pytest.mark.usefixtures("taxonomy")
def test_bad_registration_names_the_field_and_saves_nothing(partner) -> None:
    bad = {**REGISTRATION, "ogrn": "1027700132196"}  # wrong check digit
    response = _as(partner).post(f"{V1}/partner/organisations", bad, format="json")
    assert response.status_code == 400
    assert "ogrn" in response.json()
    assert "check digit" in response.json()["ogrn"][0]
    bad_service = {**REGISTRATION, "services": [{**REGISTRATION["services"][0], "categories": ["astrology"]}]}
    response = _as(partner).post(f"{V1}/partner/organisations", bad_service, format="json")
    assert response.status_code == 400
    assert "services.0.categories" in response.json()
    bad_point = {**REGISTRATION, "locations": [{"lat": 95, "lon": 30}]}
    response = _as(partner).post(f"{V1}/partner/organisations", bad_point, format="json")
    assert response.status_code == 400
    assert "locations" in response.json()
    assert not m.Organisation.objects.exists()
    assert not m.Location.objects.exists()


@pytest.mark.usefixtures("taxonomy")
def test_duplicates_are_shown_instead_of_a_second_listing(partner) -> None:
    existing = f.OrganisationFactory(located=False, name="АНО «Светлый дом»", ogrn="1027700132195")
    f.LocationFactory(organisation=existing, point=Point(28.35, 57.81, srid=4326))
    client = _as(partner)
    # The same ОГРН: never a second listing, whatever the user confirms.
    same_id = client.post(f"{V1}/partner/organisations", {**REGISTRATION, "confirm_not_duplicate": True}, format="json")
    assert same_id.status_code == 409
    assert same_id.json()["overridable"] is False
    assert same_id.json()["duplicates"][0]["slug"] == existing.slug
    # A similar name a kilometre away, no identifier: shown, and can be overridden.
    similar = {**REGISTRATION, "name": "АНО Светлый дом", "ogrn": "", "inn": ""}
    response = client.post(f"{V1}/partner/organisations", similar, format="json")
    assert response.status_code == 409
    assert response.json()["overridable"] is True
    assert response.json()["duplicates"][0]["reason"] == "similar_name"
    # The same name far away is not a duplicate.
    far = {**similar, "locations": [{"lat": 55.75, "lon": 37.6}]}
    assert client.post(f"{V1}/partner/organisations", far, format="json").status_code == 201
    # "This is us": a claim that a moderator approves gives access.
    claim = client.post(f"{V1}/partner/organisations/{existing.slug}/claim", {"message": "Это мы"}, format="json")
    assert claim.status_code == 201
    admin = User.objects.create_superuser("root", "root@example.org", "a-long-password-1")
    decided = _as(admin).post(f"{V1}/moderation/claims/{claim.json()['id']}", {"approve": True}, format="json")
    assert decided.status_code == 200
    assert m.OrganisationAccess.objects.filter(organisation=existing, user=partner).exists()
    assert "organisation_duplicates" in dir(services)


def test_owner_edits_go_live_or_wait_for_approval(partner, moderator, api) -> None:
    org = f.OrganisationFactory(located=False, name="Старое имя", slug="org")
    location = f.LocationFactory(organisation=org, point=Point(28.33, 57.82, srid=4326))
    m.OrganisationAccess.objects.create(organisation=org, user=partner)
    client = _as(partner)
    response = client.patch(
        f"{V1}/partner/organisations/org", {"description": "Новое описание", "name": "Новое имя"}, format="json"
    )
    body = response.json()
    assert response.status_code == 200 and body["applied"] is False
    assert body["change_request"]["changes"] == {"name": {"old": "Старое имя", "new": "Новое имя"}}
    public = api.get(f"{V1}/organisations/org").json()
    assert public["description"] == "Новое описание"  # live at once
    assert public["name"] == "Старое имя"  # waits
    # Moving the location waits too, and shows old and new.
    moved = client.patch(f"{V1}/partner/locations/{location.pk}", {"lat": 57.9, "lon": 28.4}, format="json").json()
    assert moved["change_request"]["changes"]["point"]["new"] == {"lat": 57.9, "lon": 28.4}
    location.refresh_from_db()
    assert (location.point.y, location.point.x) == (57.82, 28.33)
    # Approval applies both.
    for cr in m.ChangeRequest.objects.all():
        reply = _as(moderator).post(f"{V1}/moderation/change-requests/{cr.pk}", {"approve": True}, format="json")
        assert reply.status_code == 200
    assert api.get(f"{V1}/organisations/org").json()["name"] == "Новое имя"
    location.refresh_from_db()
    assert (location.point.y, location.point.x) == (57.9, 28.4)
    # Rejecting needs a reason.
    client.patch(f"{V1}/partner/organisations/org", {"name": "Третье"}, format="json")
    cr = m.ChangeRequest.objects.get(status="pending")
    assert (
        _as(moderator).post(f"{V1}/moderation/change-requests/{cr.pk}", {"approve": False}, format="json").status_code
        == 400
    )


def test_suspension_removes_a_listing_from_every_public_output(moderator, api) -> None:
    location = f.LocationFactory(point=Point(28.33, 57.82, srid=4326))
    org = location.organisation
    assert api.get(f"{V1}/organisations/{org.slug}").status_code == 200
    response = _as(moderator).post(
        f"{V1}/moderation/organisations/{org.slug}", {"status": "suspended", "reason": "Жалобы"}, format="json"
    )
    assert response.status_code == 200
    assert api.get(f"{V1}/organisations/{org.slug}").status_code == 404
    assert api.get(f"{V1}/organisations").json() == []
    assert api.get(f"{V1}/nearest", {"lat": 57.8, "lon": 28.3}).json()["results"] == []
    viewport = api.get(f"{V1}/locations", {"in_bbox": "28,57,29,58", "zoom": 12}).json()
    assert viewport["features"] == []
    # Suspending without a reason is refused.
    org2 = f.LocationFactory().organisation
    refused = _as(moderator).post(f"{V1}/moderation/organisations/{org2.slug}", {"status": "suspended"}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()


@pytest.fixture
def alliance() -> m.Network:
    return f.NetworkFactory(
        slug="alliance", roles=["member", "candidate", "partner"], min_recommendations=2, candidate_term_days=365
    )


def _member(network: m.Network, user: User | None = None) -> m.Organisation:
    org = f.OrganisationFactory()
    f.MembershipFactory(organisation=org, network=network, role=m.MembershipRole.MEMBER)
    if user is not None:
        m.OrganisationAccess.objects.create(organisation=org, user=user)
    return org


@pytest.mark.parametrize("recommendations", [0, 1, 2])
def test_membership_needs_the_coalitions_number_of_recommendations(alliance, recommendations) -> None:
    coordinator = User.objects.create_user("coord", "c@example.org", "a-long-password-1")
    m.NetworkCoordinator.objects.create(network=alliance, user=coordinator)
    applicant = f.OrganisationFactory()
    ms = m.Membership.objects.create(organisation=applicant, network=alliance, role="member", status="applied")
    for i in range(recommendations):
        member_user = User.objects.create_user(f"m{i}", f"m{i}@example.org", "a-long-password-1")
        services.membership_recommend(user=member_user, recommender=_member(alliance, member_user), membership=ms)
    response = _as(coordinator).post(f"{V1}/moderation/memberships/{ms.pk}", {"decision": "accept"}, format="json")
    if recommendations >= 2:
        assert response.status_code == 200
        assert response.json()["status"] == "active" and response.json()["role"] == "member"
    else:
        assert response.status_code == 400
        assert f"has {recommendations}" in response.json()["decision"][0]
        # Without them it can still be accepted as a candidate, for the coalition's term.
        candidate = _as(coordinator).post(
            f"{V1}/moderation/memberships/{ms.pk}", {"decision": "accept_as_candidate"}, format="json"
        )
        assert candidate.status_code == 200
        body = candidate.json()
        assert body["role"] == "candidate"
        assert dt.date.fromisoformat(body["until"]) - dt.date.fromisoformat(body["since"]) == dt.timedelta(days=365)


def test_only_members_recommend_and_not_themselves(alliance) -> None:
    user = User.objects.create_user("u", "u@example.org", "a-long-password-1")
    applicant = f.OrganisationFactory()
    m.OrganisationAccess.objects.create(organisation=applicant, user=user)
    ms = m.Membership.objects.create(organisation=applicant, network=alliance, role="member", status="applied")
    outsider = f.OrganisationFactory()
    m.OrganisationAccess.objects.create(organisation=outsider, user=user)
    client = _as(user)
    assert (
        client.post(
            f"{V1}/partner/memberships/{ms.pk}/recommend", {"recommender": outsider.slug}, format="json"
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"{V1}/partner/memberships/{ms.pk}/recommend", {"recommender": applicant.slug}, format="json"
        ).status_code
        == 400
    )
    # A member sharing the applicant's owner is refused (one person's organisations
    # do not vouch for each other); an independent member's recommendation counts.
    linked = _member(alliance, user)
    refused = client.post(f"{V1}/partner/memberships/{ms.pk}/recommend", {"recommender": linked.slug}, format="json")
    assert refused.status_code == 400 and "recommender" in refused.json()
    other = User.objects.create_user("other", "other@example.org", "a-long-password-1")
    member = _member(alliance, other)
    client = _as(other)
    assert (
        client.post(
            f"{V1}/partner/memberships/{ms.pk}/recommend", {"recommender": member.slug}, format="json"
        ).status_code
        == 201
    )


def test_candidates_whose_year_is_up_are_shown_for_review(alliance) -> None:
    coordinator = User.objects.create_user("coord", "c@example.org", "a-long-password-1")
    m.NetworkCoordinator.objects.create(network=alliance, user=coordinator)
    ms = m.Membership.objects.create(
        organisation=f.OrganisationFactory(), network=alliance, role="member", status="applied"
    )
    services.membership_decide(
        user=coordinator, membership=ms, decision="accept_as_candidate", today=dt.date(2025, 11, 1)
    )
    assert moderation.candidates_due_for_review(network=alliance, today=dt.date(2026, 10, 31)) == []
    assert moderation.candidates_due_for_review(network=alliance, today=dt.date(2026, 11, 1)) == [ms]
    queue = _as(coordinator).get(f"{V1}/moderation/queue").json()
    assert [c["id"] for c in queue["candidates_due"]] == [ms.pk]


def test_coordinator_sees_and_decides_only_their_coalition(alliance) -> None:
    other = f.NetworkFactory(slug="runpud")
    coordinator = User.objects.create_user("coord", "c@example.org", "a-long-password-1")
    m.NetworkCoordinator.objects.create(network=alliance, user=coordinator)
    ours = m.Membership.objects.create(
        organisation=f.OrganisationFactory(), network=alliance, role="partner", status="applied"
    )
    theirs = m.Membership.objects.create(
        organisation=f.OrganisationFactory(), network=other, role="partner", status="applied"
    )
    queue = _as(coordinator).get(f"{V1}/moderation/queue").json()
    assert [ms["id"] for ms in queue["memberships"]] == [ours.pk]
    refused = _as(coordinator).post(f"{V1}/moderation/memberships/{theirs.pk}", {"decision": "accept"}, format="json")
    assert refused.status_code == 404  # another coalition's application: not theirs to see


def test_reminders_and_staleness_with_a_frozen_clock(partner, mailoutbox, api) -> None:
    now = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)
    fresh = f.OrganisationFactory(last_verified_at=dt.date(2026, 9, 1))
    due = f.OrganisationFactory(last_verified_at=dt.date(2026, 3, 1))
    stale = f.OrganisationFactory(last_verified_at=dt.date(2025, 10, 1))
    for org in (fresh, due, stale):
        m.OrganisationAccess.objects.create(organisation=org, user=partner)
    result = services.verification_reminders(now=now, base_url="https://help.example")
    assert result == {"reminded": 2, "marked_stale": 1, "unmarked": 0}
    assert len(mailoutbox) == 2
    assert all("/verify/" in message.body for message in mailoutbox)
    stale.refresh_from_db()
    assert stale.is_stale
    # Not again the next day.
    assert services.verification_reminders(now=now + dt.timedelta(days=1))["reminded"] == 0
    # The link in the e-mail confirms in one click.
    token = mailoutbox[0].body.split("token=")[1].split()[0]
    target = m.Organisation.objects.get(slug=mailoutbox[0].body.split("/verify/")[1].split("/")[0])
    services.organisation_confirm_accurate(organisation=target, token=token)
    target.refresh_from_db()
    assert target.last_verified_at == timezone.localdate() and not target.is_stale
    # The management command runs the same.
    call_command("verification_reminders")


def test_every_change_is_recorded_and_can_be_restored(partner, api) -> None:
    org = f.OrganisationFactory(located=False, slug="org", description="Первая версия", status="draft")
    m.OrganisationAccess.objects.create(organisation=org, user=partner)
    client = _as(partner)
    client.patch(f"{V1}/partner/organisations/org", {"description": "Вторая версия"}, format="json")
    history = client.get(f"{V1}/partner/organisations/org/history").json()
    assert len(history) == 2
    assert history[0]["user"] == "partner" and "description" in history[0]["changed"]
    first = history[-1]["history_id"]
    assert (
        client.post(f"{V1}/partner/organisations/org/restore", {"history_id": first}, format="json").status_code == 200
    )
    org.refresh_from_db()
    assert org.description == "Первая версия"


def test_publishing_a_listing_with_no_presence_is_a_clear_400(moderator) -> None:
    org = f.OrganisationFactory(located=False, status=m.PublicationStatus.PENDING, slug="empty")
    reply = _as(moderator).post(f"{V1}/moderation/organisations/empty", {"status": "published"}, format="json")
    assert reply.status_code == 400
    assert "place" in reply.json()["status"][0]
    org.refresh_from_db()
    assert org.status == m.PublicationStatus.PENDING


def test_service_edits_set_the_city_area_and_name_the_field_to_fix(partner) -> None:
    org = f.OrganisationFactory(slug="org")
    m.OrganisationAccess.objects.create(organisation=org, user=partner)
    service = f.ServiceFactory(organisation=org)
    town = f.PlaceFactory()
    url = f"{V1}/partner/organisations/org/services/{service.pk}"
    client = _as(partner)
    # A city-wide area without its town says which field to fill.
    missing = client.patch(url, {"area_kind": "city"}, format="json")
    assert missing.status_code == 400 and "area_place" in missing.json()
    unknown = client.patch(url, {"area_kind": "city", "area_place": 987654321}, format="json")
    assert unknown.status_code == 400 and "area_place" in unknown.json()
    assert client.patch(url, {"area_kind": "city", "area_place": town.pk}, format="json").status_code == 200
    service.refresh_from_db()
    assert (service.area_kind, service.area_place_id) == ("city", town.pk)
    ages = client.patch(url, {"min_age": 12, "max_age": 6}, format="json")
    assert ages.status_code == 400 and "max_age" in ages.json()


def test_decision_emails_say_the_decision_even_without_a_reason(mailoutbox) -> None:
    org = f.OrganisationFactory(name="Дом надежды")
    requester = User.objects.create_user("owner2", "owner2@example.org", "a-long-password-1")
    claim = services.claim_create(user=requester, organisation=org, message="Директор, +7 900 000-00-00")
    moderator = User.objects.create_superuser("root2", "root2@example.org", "a-long-password-1")
    services.claim_decide(user=moderator, claim=claim, approve=True)
    assert mailoutbox[-1].to == ["owner2@example.org"]
    assert str(m.Decision.APPROVED.label) in mailoutbox[-1].subject
    assert "Дом надежды" in mailoutbox[-1].body and "approved" in mailoutbox[-1].body


@pytest.mark.usefixtures("taxonomy")
def test_a_registration_nobody_could_find_is_refused_on_locations(partner) -> None:
    """No place and no online or phone service: the listing could never be
    published, so the service refuses it (the pages show the same message)."""
    unfindable = {
        **REGISTRATION,
        "locations": [],
        "services": [{**REGISTRATION["services"][0], "formats": ["in_person"], "locations": []}],
    }
    response = _as(partner).post(f"{V1}/partner/organisations", unfindable, format="json")
    assert response.status_code == 400
    assert response.json() == {"locations": [str(services.REGISTRATION_NO_PRESENCE)]}
    assert not m.Organisation.objects.exists() and not m.Service.objects.exists()
    phone_only = {**unfindable, "services": [{**unfindable["services"][0], "formats": ["phone"]}]}
    assert _as(partner).post(f"{V1}/partner/organisations", phone_only, format="json").status_code == 201

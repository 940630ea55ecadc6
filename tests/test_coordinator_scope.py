"""A coordinator's power over an organisation lasts only as long as its membership.

The outside review's chain: coordinator B publishes a listing, rejects its
membership, a stranger claims the listing, B approves the claim, and the
stranger reads the protected street address; B could still suspend it site
wide. Here every decision is tried for every membership status, through the
services (where the rule lives) and through the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError

from orgs import models as m
from orgs import permissions, services
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db

SECRET_ADDRESS = "ул. Тайная, 7"
NO_MEMBERSHIP = "none"
STATUSES = [*m.MembershipStatus.values, NO_MEMBERSHIP]


def _world(status: str) -> dict[str, Any]:
    network = f.NetworkFactory(slug="stop-sed", roles=[m.MembershipRole.PARTNER, m.MembershipRole.MEMBER])
    coordinator = people.user("coordinator")
    m.NetworkCoordinator.objects.create(network=network, user=coordinator)
    org = f.OrganisationFactory(located=False, slug="shelter")
    f.LocationFactory(
        organisation=org,
        point=Point(30.31, 59.93, srid=4326),
        visibility=m.Visibility.APPROXIMATE,
        address=SECRET_ADDRESS,
    )
    membership = None
    if status != NO_MEMBERSHIP:
        membership = f.MembershipFactory(
            organisation=org, network=network, role=m.MembershipRole.PARTNER, status=status
        )
    owner = people.user("owner")
    m.OrganisationAccess.objects.create(organisation=org, user=owner)
    stranger = people.user("stranger")
    return {
        "network": network,
        "coordinator": coordinator,
        "org": org,
        "owner": owner,
        "stranger": stranger,
        "membership": membership,
        "claim": m.Claim.objects.create(organisation=org, requested_by=stranger, message="Это мы"),
        "change": m.ChangeRequest.objects.create(
            organisation=org, requested_by=owner, changes={"name": {"old": org.name, "new": "Другое"}}
        ),
    }


def _decisions(w: dict[str, Any]) -> dict[str, Callable[[Any], Any]]:
    return {
        "suspend site-wide": lambda u: services.organisation_moderate(
            user=u, organisation=w["org"], status=m.PublicationStatus.SUSPENDED, reason="Проверка"
        ),
        "approve a claim": lambda u: services.claim_decide(user=u, claim=w["claim"], approve=True),
        "approve a change request": lambda u: services.change_request_decide(
            user=u, change_request=w["change"], approve=True
        ),
    }


# Who may take a published listing's site-wide decisions, by the membership's
# status: the coordinator only while the organisation is an active member. (A
# pending registration that applies is the coalition's to approve: below.)
DECIDES = {"active"}
# Who may look at the listing's partner pages (protected addresses included):
# while it applies to, or is an active member of, the coalition.
SEES = {"applied", "active"}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("decision", ["suspend site-wide", "approve a claim", "approve a change request"])
def test_site_wide_decisions_by_membership_status(status: str, decision: str) -> None:
    w = _world(status)
    act = _decisions(w)[decision]
    if status in DECIDES:
        act(w["coordinator"])
    else:
        with pytest.raises(PermissionDenied):
            act(w["coordinator"])
        assert not m.OrganisationAccess.objects.filter(user=w["stranger"]).exists()
        w["org"].refresh_from_db()
        assert w["org"].status == m.PublicationStatus.PUBLISHED


@pytest.mark.parametrize("status", STATUSES)
def test_partner_pages_by_membership_status(status: str) -> None:
    w = _world(status)
    assert permissions.can_moderate_organisation(w["coordinator"], w["org"]) is (status in SEES)
    page = people.pages_as(w["coordinator"]).get("/partner/o/shelter/")
    history = people.api_as(w["coordinator"]).get("/api/v1/partner/organisations/shelter/history")
    if status in SEES:
        assert page.status_code == 200 and SECRET_ADDRESS in page.content.decode()
        assert history.status_code == 200
    else:
        assert page.status_code in (403, 404) and SECRET_ADDRESS not in page.content.decode()
        assert history.status_code in (403, 404)


@pytest.mark.parametrize("status", m.MembershipStatus.values)
def test_the_coalitions_own_decision_stays_with_its_coordinator(status: str) -> None:
    """Deciding the membership itself is the coalition's business in every
    status: the coordinator is never refused for want of rights, only where
    the coalition's rules offer no decision (a rejected application, an
    ended candidacy)."""
    w = _world(status)
    offered = [d for d, states in services.membership.DECISIONS.items() if status in states]
    decision = next((d for d in ("reject", "suspend", "restore") if d in offered), None)
    if decision is None:
        with pytest.raises(ValidationError) as exc:
            services.membership_decide(user=w["coordinator"], membership=w["membership"], decision="reject", reason="x")
        assert set(exc.value.message_dict) == {"decision"}
        return
    decided = services.membership_decide(
        user=w["coordinator"], membership=w["membership"], decision=decision, reason="Не подходит"
    )
    assert decided.status != status


def test_the_reviewers_chain_is_broken() -> None:
    w = _world(m.MembershipStatus.ACTIVE)
    coordinator = w["coordinator"]
    services.membership_decide(user=coordinator, membership=w["membership"], decision="exclude", reason="Нет")
    api = people.api_as(coordinator)
    claim = api.post(f"/api/v1/moderation/claims/{w['claim'].pk}", {"approve": True}, format="json")
    assert claim.status_code in (403, 404)
    suspend = api.post(
        "/api/v1/moderation/organisations/shelter", {"status": "suspended", "reason": "x"}, format="json"
    )
    assert suspend.status_code in (403, 404)
    assert not m.OrganisationAccess.objects.filter(user=w["stranger"]).exists()
    queue = api.get("/api/v1/moderation/queue").json()
    assert queue["claims"] == [] and queue["change_requests"] == []


def test_a_coordinator_of_another_coalition_cannot_decide_this_membership() -> None:
    w = _world(m.MembershipStatus.APPLIED)
    other = f.NetworkFactory(slug="alliance")
    other_coordinator = people.user("other-coordinator")
    m.NetworkCoordinator.objects.create(network=other, user=other_coordinator)
    # The organisation is an active member of the other coalition too.
    f.MembershipFactory(organisation=w["org"], network=other, status=m.MembershipStatus.ACTIVE)
    with pytest.raises(PermissionDenied):
        services.membership_decide(user=other_coordinator, membership=w["membership"], decision="accept")
    w["membership"].refresh_from_db()
    assert w["membership"].status == m.MembershipStatus.APPLIED


def test_only_the_moderators_group_makes_a_moderator() -> None:
    volunteer = people.user("volunteer")
    volunteer.groups.add(Group.objects.create(name="volunteers"))
    assert not permissions.is_moderator(volunteer)
    w = _world(NO_MEMBERSHIP)
    with pytest.raises(PermissionDenied):
        _decisions(w)["suspend site-wide"](volunteer)


@pytest.mark.parametrize("who", ["owner", "editor", "moderator", "coordinator"])
def test_a_deactivated_account_keeps_no_rights_in_the_services(who: str) -> None:
    w = _world(m.MembershipStatus.ACTIVE)
    account = {
        "owner": w["owner"],
        "coordinator": w["coordinator"],
        "moderator": people.moderator(),
    }.get(who)
    if who == "editor":
        account = people.user("editor")
        m.OrganisationAccess.objects.create(organisation=w["org"], user=account, role=m.AccessRole.EDITOR)
    assert account is not None
    account.is_active = False
    account.save()
    with pytest.raises(PermissionDenied):
        services.organisation_update(user=account, organisation=w["org"], changes={"description": "Взлом"})
    with pytest.raises(PermissionDenied):
        _decisions(w)["suspend site-wide"](account)
    with pytest.raises(PermissionDenied):
        services.membership_decide(user=account, membership=w["membership"], decision="suspend", reason="x")
    w["org"].refresh_from_db()
    assert w["org"].description != "Взлом" and w["org"].status == m.PublicationStatus.PUBLISHED


@pytest.mark.parametrize("status", STATUSES)
def test_a_pending_registration_is_decided_by_the_coalition_it_applies_to(status: str) -> None:
    """Approving a new registration is the coalition's own decision while it
    applies (or is a member); a rejected, suspended or excluded one is not."""
    w = _world(status)
    w["org"].status = m.PublicationStatus.PENDING
    w["org"].save()
    decides = status in {"applied", "active"}
    queue = people.api_as(w["coordinator"]).get("/api/v1/moderation/queue").json()
    assert [o["slug"] for o in queue["organisations"]] == (["shelter"] if decides else [])
    assert len(queue["claims"]) == len(queue["change_requests"]) == (1 if decides else 0)
    assert [ms["organisation"] for ms in queue["memberships"]] == (["shelter"] if status == "applied" else [])
    publish = lambda: services.organisation_moderate(  # noqa: E731
        user=w["coordinator"], organisation=w["org"], status=m.PublicationStatus.PUBLISHED
    )
    if decides:
        assert publish().status == m.PublicationStatus.PUBLISHED
    else:
        with pytest.raises(PermissionDenied):
            publish()


@pytest.mark.parametrize("status", STATUSES)
def test_the_queue_of_a_published_listing_lists_only_what_they_may_decide(status: str) -> None:
    w = _world(status)
    queue = people.api_as(w["coordinator"]).get("/api/v1/moderation/queue").json()
    decides = status in DECIDES
    assert len(queue["claims"]) == len(queue["change_requests"]) == (1 if decides else 0)

"""Who may write what: every partner and moderation endpoint, for every kind of user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import Point
from rest_framework.test import APIClient

from orgs import models as m
from orgs.permissions import MODERATORS_GROUP
from tests import factories as f

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "other_partner", "owner", "other_coordinator", "coordinator", "moderator", "admin"]


@dataclass
class World:
    users: dict[str, User | None]
    org: m.Organisation
    location: m.Location
    service: m.Service
    network: m.Network
    change_request: m.ChangeRequest
    claim: m.Claim
    membership: m.Membership


@pytest.fixture
def world() -> World:
    def user(name: str) -> User:
        return User.objects.create_user(name, f"{name}@example.org", "a-long-password-1")

    users: dict[str, User | None] = {name: user(name) for name in ACTORS if name != "anonymous"}
    users["anonymous"] = None
    users["admin"].is_superuser = True  # type: ignore[union-attr]
    users["admin"].save()  # type: ignore[union-attr]
    users["moderator"].groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])  # type: ignore[union-attr]

    network = f.NetworkFactory(slug="alliance")
    other_network = f.NetworkFactory(slug="runpud")
    m.NetworkCoordinator.objects.create(network=network, user=users["coordinator"])
    m.NetworkCoordinator.objects.create(network=other_network, user=users["other_coordinator"])

    org = f.OrganisationFactory(located=False, slug="owned")
    location = f.LocationFactory(organisation=org, point=Point(28.33, 57.82, srid=4326))
    service = f.ServiceFactory(organisation=org, categories=[f.CategoryFactory(slug="psychological-help")])
    m.OrganisationAccess.objects.create(organisation=org, user=users["owner"])
    other_org = f.OrganisationFactory(slug="theirs")
    m.OrganisationAccess.objects.create(organisation=other_org, user=users["other_partner"])
    membership = m.Membership.objects.create(
        organisation=org, network=network, role=m.MembershipRole.PARTNER, status=m.MembershipStatus.APPLIED
    )
    change_request = m.ChangeRequest.objects.create(
        organisation=org, requested_by=users["owner"], changes={"name": {"old": org.name, "new": "Новое имя"}}
    )
    claimant = User.objects.create_user("claimant", "claimant@example.org", "a-long-password-1")
    claim = m.Claim.objects.create(organisation=org, requested_by=claimant, message="Это мы")
    return World(users, org, location, service, network, change_request, claim, membership)


def _client(world: World, actor: str) -> APIClient:
    client = APIClient()
    if world.users[actor] is not None:
        client.force_login(world.users[actor])
    return client


EDITORS = {"owner", "moderator", "admin"}
MODERATORS = {"coordinator", "moderator", "admin"}
SIGNED_IN = set(ACTORS) - {"anonymous"}


def _actions(world: World) -> dict[str, tuple[str, str, dict[str, Any], set[str], int]]:
    """name -> (method, url, body, who succeeds, success status)."""
    v1 = "/api/v1"
    return {
        "edit organisation": ("patch", f"{v1}/partner/organisations/owned", {"description": "Новое"}, EDITORS, 200),
        "edit location": (
            "patch",
            f"{v1}/partner/locations/{world.location.pk}",
            {"accessibility": "Пандус"},
            EDITORS,
            200,
        ),
        "add service": (
            "post",
            f"{v1}/partner/organisations/owned/services",
            {"name": "Юрист", "categories": ["psychological-help"], "formats": ["online"]},
            EDITORS,
            201,
        ),
        "edit service": (
            "patch",
            f"{v1}/partner/organisations/owned/services/{world.service.pk}",
            {"is_free": False},
            EDITORS,
            200,
        ),
        "confirm accurate": ("post", f"{v1}/partner/organisations/owned/confirm", {}, EDITORS, 200),
        "restore version": (
            "post",
            f"{v1}/partner/organisations/owned/restore",
            {"history_id": world.org.history.earliest().history_id},  # type: ignore[attr-defined]
            EDITORS,
            200,
        ),
        "apply to coalition": (
            "post",
            f"{v1}/partner/memberships",
            {"organisation": "owned", "network": "runpud", "role": "partner"},
            EDITORS,
            201,
        ),
        "read history": ("get", f"{v1}/partner/organisations/owned/history", {}, EDITORS | MODERATORS, 200),
        "claim listing": (
            "post",
            f"{v1}/partner/organisations/owned/claim",
            {"message": "наша"},
            SIGNED_IN,
            201,
        ),
        "publish/suspend": (
            "post",
            f"{v1}/moderation/organisations/owned",
            {"status": "suspended", "reason": "Проверка"},
            MODERATORS,
            200,
        ),
        "decide change request": (
            "post",
            f"{v1}/moderation/change-requests/{world.change_request.pk}",
            {"approve": True},
            MODERATORS,
            200,
        ),
        "decide claim": (
            "post",
            f"{v1}/moderation/claims/{world.claim.pk}",
            {"approve": False, "reason": "Нет"},
            MODERATORS,
            200,
        ),
        "decide membership": (
            "post",
            f"{v1}/moderation/memberships/{world.membership.pk}",
            {"decision": "accept"},
            MODERATORS,
            200,
        ),
        "register organisation": (
            "post",
            f"{v1}/partner/organisations",
            {"name": "АНО «Новая»", "locations": [{"lat": 55.75, "lon": 37.6}]},
            SIGNED_IN,
            201,
        ),
    }


ACTION_NAMES = [
    "edit organisation",
    "edit location",
    "add service",
    "edit service",
    "confirm accurate",
    "restore version",
    "apply to coalition",
    "read history",
    "claim listing",
    "publish/suspend",
    "decide change request",
    "decide claim",
    "decide membership",
    "register organisation",
]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ACTION_NAMES)
def test_permission_matrix(world: World, actor: str, action: str) -> None:
    method, url, body, allowed, success = _actions(world)[action]
    before = m.Organisation.history.count()  # type: ignore[attr-defined]
    response = getattr(_client(world, actor), method)(url, body, format="json")
    if actor in allowed:
        assert response.status_code == success, (actor, action, response.json())
    else:
        assert response.status_code in (401, 403), (actor, action, response.status_code)
        assert response.json()["detail"]
        # A refused write leaves no trace.
        assert m.Organisation.history.count() == before  # type: ignore[attr-defined]


def test_session_writes_need_csrf(world: World) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.users["owner"])  # type: ignore[arg-type]
    response = client.patch("/api/v1/partner/organisations/owned", {"description": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]

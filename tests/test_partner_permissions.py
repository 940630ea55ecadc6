"""Who may write what: every partner and moderation endpoint, for every kind of user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from orgs import models as m
from orgs import services
from orgs.permissions import MODERATORS_GROUP
from tests import factories as f

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "other_partner", "owner", "editor", "other_coordinator", "coordinator", "moderator", "admin"]


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
    second_location: m.Location
    helper: m.OrganisationAccess
    invitation: m.OrganisationInvitation
    invitation_token: str


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
    # An invited editor among the actors, and another one (whom only owners may remove).
    m.OrganisationAccess.objects.create(
        organisation=org, user=users["editor"], role=m.AccessRole.EDITOR, invited_by=users["owner"]
    )
    helper_user = User.objects.create_user("helper", "helper@example.org", "a-long-password-1")
    helper = m.OrganisationAccess.objects.create(
        organisation=org, user=helper_user, role=m.AccessRole.EDITOR, invited_by=users["owner"]
    )
    # A second place, so that removing one keeps the listing findable.
    second_location = f.LocationFactory(organisation=org, point=Point(28.4, 57.9, srid=4326), address="Вторая, 2")
    # An invitation sent to someone who is none of the actors.
    invitation = m.OrganisationInvitation.objects.create(
        organisation=org,
        email="invitee@example.org",
        invited_by=users["owner"],
        expires_at=timezone.now() + services.INVITATION_MAX_AGE,
    )
    return World(
        users,
        org,
        location,
        service,
        network,
        change_request,
        claim,
        membership,
        second_location,
        helper,
        invitation,
        services.invitation_token(invitation),
    )


def _client(world: World, actor: str) -> APIClient:
    client = APIClient()
    if world.users[actor] is not None:
        client.force_login(world.users[actor])
    return client


EDITORS = {"owner", "editor", "moderator", "admin"}
# Who decides who edits: the owner and site moderators, not an invited editor.
OWNERS = {"owner", "moderator", "admin"}
MODERATORS = {"coordinator", "moderator", "admin"}
# Site-wide decisions on the listing: the world's membership is only an
# application, which gives its coordinator the membership decision alone
# (tests/test_coordinator_scope.py goes through every membership status).
DECIDERS = {"moderator", "admin"}
SIGNED_IN = set(ACTORS) - {"anonymous"}
# A published listing's new place, or removal, waits for approval unless a moderator does it.
WAITS = {"owner": 202, "editor": 202, "moderator": 201, "admin": 201}
REMOVES = {"owner": 202, "editor": 202, "moderator": 204, "admin": 204}
KZ = {"scheme": "KZ-BIN", "identifier": "123456789012", "country": "KZ"}


def _actions(world: World) -> dict[str, tuple[str, str, dict[str, Any], set[str], int | dict[str, int]]]:
    """name -> (method, url, body, who succeeds, success status, or status by actor)."""
    v1 = "/api/v1"
    return {
        "add location": (
            "post",
            f"{v1}/partner/organisations/owned/locations",
            {"lat": 57.7, "lon": 28.2, "address": "Новая, 3"},
            EDITORS,
            WAITS,
        ),
        "remove location": ("delete", f"{v1}/partner/locations/{world.second_location.pk}", {}, EDITORS, REMOVES),
        "replace identifiers": (
            "put",
            f"{v1}/partner/organisations/owned/identifiers",
            {"identifiers": [KZ]},
            EDITORS,
            200,
        ),
        "read identifiers": ("get", f"{v1}/partner/organisations/owned/identifiers", {}, EDITORS | MODERATORS, 200),
        "list editors": ("get", f"{v1}/partner/organisations/owned/editors", {}, OWNERS, 200),
        "invite editor": (
            "post",
            f"{v1}/partner/organisations/owned/invitations",
            {"email": "new-editor@example.org"},
            OWNERS,
            201,
        ),
        "withdraw invitation": (
            "delete",
            f"{v1}/partner/organisations/owned/invitations/{world.invitation.pk}",
            {},
            OWNERS,
            204,
        ),
        "remove editor": ("delete", f"{v1}/partner/organisations/owned/editors/{world.helper.pk}", {}, OWNERS, 204),
        # Sent to an address none of the actors has: nobody may use it.
        "accept another's invitation": (
            "post",
            f"{v1}/partner/invitations/accept",
            {"token": world.invitation_token},
            set(),
            200,
        ),
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
            # Those who already manage it are told so (400), not given a second way in.
            {a: 400 if a in ("owner", "editor") else 201 for a in SIGNED_IN},
        ),
        "publish/suspend": (
            "post",
            f"{v1}/moderation/organisations/owned",
            {"status": "suspended", "reason": "Проверка"},
            DECIDERS,
            200,
        ),
        "decide change request": (
            "post",
            f"{v1}/moderation/change-requests/{world.change_request.pk}",
            {"approve": True},
            DECIDERS,
            200,
        ),
        "decide claim": (
            "post",
            f"{v1}/moderation/claims/{world.claim.pk}",
            {"approve": False, "reason": "Нет"},
            DECIDERS,
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
    "add location",
    "remove location",
    "replace identifiers",
    "read identifiers",
    "list editors",
    "invite editor",
    "withdraw invitation",
    "remove editor",
    "accept another's invitation",
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


def _trace() -> tuple[Any, ...]:
    """What any write here would change."""
    return (
        m.Organisation.history.count(),  # type: ignore[attr-defined]
        m.Location.objects.count(),
        m.ChangeRequest.objects.count(),
        sorted(m.OrganisationAccess.objects.values_list("pk", "role")),
        sorted(m.OrganisationInvitation.objects.values_list("pk", "status")),
        m.OrganisationIdentifier.objects.count(),
    )


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ACTION_NAMES)
def test_permission_matrix(world: World, actor: str, action: str) -> None:
    method, url, body, allowed, success = _actions(world)[action]
    before = _trace()
    response = getattr(_client(world, actor), method)(url, body, format="json")
    if actor in allowed:
        expected = success[actor] if isinstance(success, dict) else success
        assert response.status_code == expected, (actor, action, response.status_code, response.content)
    else:
        # 404 where the object itself is not for this actor to see (orgs/lookups.py).
        assert response.status_code in (401, 403, 404), (actor, action, response.status_code)
        assert response.json()["detail"]
        # A refused write leaves no trace.
        assert _trace() == before


# --- the same writes through the pages ----------------------------------------------------------


def _web_actions(world: World) -> dict[str, tuple[str, dict[str, Any], set[str]]]:
    """name -> (url, form data, who succeeds); each posts a form and, on success, redirects."""
    org = world.org
    return {
        "add a place": (
            "/partner/o/owned/locations/new/",
            {"loc-lat": "57.7", "loc-lon": "28.2", "loc-country": "RU", "loc-visibility": "exact"},
            EDITORS,
        ),
        "remove a place": (f"/partner/o/owned/locations/{world.second_location.pk}/remove/", {}, EDITORS),
        "edit registry numbers": (
            "/partner/o/owned/edit/",
            {
                "org-name": org.name,
                "org-legal_form": org.legal_form,
                "org-country": org.country,
                "org-description": org.description,
                "ident-TOTAL_FORMS": "1",
                "ident-INITIAL_FORMS": "0",
                **{f"ident-0-{k}": v for k, v in KZ.items()},
            },
            EDITORS,
        ),
        "invite an editor": ("/partner/o/owned/editors/", {"email": "new-editor@example.org"}, OWNERS),
        "remove an editor": (f"/partner/o/owned/editors/{world.helper.pk}/remove/", {}, OWNERS),
        "withdraw an invitation": (f"/partner/o/owned/invitations/{world.invitation.pk}/withdraw/", {}, OWNERS),
        "accept another's invitation": ("/partner/invitation/", {"token": world.invitation_token}, set()),
    }


WEB_ACTION_NAMES = [
    "add a place",
    "remove a place",
    "edit registry numbers",
    "invite an editor",
    "remove an editor",
    "withdraw an invitation",
    "accept another's invitation",
]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", WEB_ACTION_NAMES)
def test_permission_matrix_of_the_pages(world: World, actor: str, action: str) -> None:
    url, data, allowed = _web_actions(world)[action]
    client = Client(headers={"accept-language": "en"})
    if world.users[actor] is not None:
        client.force_login(world.users[actor])  # type: ignore[arg-type]
    before = _trace()
    response = client.post(url, data)
    if actor in allowed:
        assert response.status_code == 302, (actor, action, response.status_code)
        assert not response.url.startswith("/accounts/login/")
        assert _trace() != before
        return
    if actor == "anonymous":
        # Sent to sign in (the invitation link shows how, and changes nothing).
        assert response.status_code in (200, 302), (action, response.status_code)
        assert response.status_code == 200 or response.url.startswith("/accounts/login/")
    else:
        # No part in the listing: 404, as for a listing that does not exist; a
        # coordinator (who may look), an editor (who may not decide this), or
        # anyone with another's invitation link: 403.
        strangers = actor in ("other_partner", "other_coordinator")
        expected = 404 if strangers and action != "accept another's invitation" else 403
        assert response.status_code == expected, (actor, action, response.status_code)
    assert _trace() == before


def test_session_writes_need_csrf(world: World) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.users["owner"])  # type: ignore[arg-type]
    response = client.patch("/api/v1/partner/organisations/owned", {"description": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]

"""Whatever a user may not see answers exactly as a missing object does: the
same 404 with the same body, on every partner and moderation endpoint and
page that looks an object up by slug or id. A 403 for an existing slug (and
the claim page's title) told a stranger that a pending or suspended listing
exists, and what it is called.

The stranger is a signed-in partner who coordinates another coalition, so
that the moderation endpoints' "coordinators only" check lets them through
to the lookup itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from orgs import models as m
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db

SECRET_NAME = "Приют «Тайный адрес»"
MISSING_SLUG = "no-such-listing"
MISSING_PK = 987654


@pytest.fixture
def world() -> dict[str, Any]:
    owner = people.user("owner")
    network = f.NetworkFactory(slug="coalition-a")
    hidden: dict[str, Any] = {}
    for status in (m.PublicationStatus.PENDING, m.PublicationStatus.SUSPENDED):
        org = f.OrganisationFactory(slug=f"hidden-{status}", name=SECRET_NAME, status=status)
        location = f.LocationFactory(organisation=org)
        access = m.OrganisationAccess.objects.create(organisation=org, user=owner, role=m.AccessRole.OWNER)
        invitation = m.OrganisationInvitation.objects.create(
            organisation=org, email="ed@example.org", invited_by=owner, expires_at=timezone.now() + dt.timedelta(days=3)
        )
        service = f.ServiceFactory(organisation=org)
        change = m.ChangeRequest.objects.create(organisation=org, requested_by=owner, changes={"name": {"old": 1}})
        claim = m.Claim.objects.create(organisation=org, requested_by=people.user(f"claimer-{status}"))
        membership = f.MembershipFactory(organisation=org, network=network, status=m.MembershipStatus.APPLIED)
        hidden[status] = {
            "slug": org.slug,
            "location": location.pk,
            "access": access.pk,
            "invitation": invitation.pk,
            "service": service.pk,
            "change": change.pk,
            "claim": claim.pk,
            "membership": membership.pk,
        }
    stranger = people.user("stranger")
    other = f.NetworkFactory(slug="coalition-b")
    m.NetworkCoordinator.objects.create(network=other, user=stranger)
    # An active member elsewhere: members of coalition A (who recommend its
    # applicants) would see coalition A's applications.
    own = people.owned(stranger, name="Своя организация")
    f.MembershipFactory(organisation=own, network=other, status=m.MembershipStatus.ACTIVE)
    return {"hidden": hidden, "stranger": stranger}


MISSING = {
    "slug": MISSING_SLUG,
    "location": MISSING_PK,
    "access": MISSING_PK,
    "invitation": MISSING_PK,
    "service": MISSING_PK,
    "change": MISSING_PK,
    "claim": MISSING_PK,
    "membership": MISSING_PK,
}

API = "/api/v1"
# (method, path, body) with {slug}, {location}… filled from the object's ids.
API_CALLS = [
    ("patch", API + "/partner/organisations/{slug}", {"name": "x"}),
    ("post", API + "/partner/organisations/{slug}/services", {"name": "x"}),
    ("patch", API + "/partner/organisations/{slug}/services/{service}", {"name": "x"}),
    ("post", API + "/partner/organisations/{slug}/confirm", {}),
    ("post", API + "/partner/organisations/{slug}/claim", {"message": "it is us"}),
    ("get", API + "/partner/organisations/{slug}/history", None),
    ("post", API + "/partner/organisations/{slug}/restore", {"history_id": 1}),
    ("post", API + "/partner/organisations/{slug}/locations", {"address": "x"}),
    ("get", API + "/partner/organisations/{slug}/identifiers", None),
    ("put", API + "/partner/organisations/{slug}/identifiers", {"identifiers": []}),
    ("get", API + "/partner/organisations/{slug}/editors", None),
    ("delete", API + "/partner/organisations/{slug}/editors/{access}", None),
    ("post", API + "/partner/organisations/{slug}/invitations", {"email": "x@example.org"}),
    ("delete", API + "/partner/organisations/{slug}/invitations/{invitation}", None),
    ("patch", API + "/partner/locations/{location}", {"address": "x"}),
    ("delete", API + "/partner/locations/{location}", None),
    ("post", API + "/partner/memberships", {"organisation": "{slug}", "network": "coalition-a", "role": "member"}),
    ("post", API + "/partner/memberships/{membership}/recommend", {"recommender": "org"}),
    ("post", API + "/moderation/organisations/{slug}", {"status": "published"}),
    ("post", API + "/moderation/change-requests/{change}", {"approve": True}),
    ("post", API + "/moderation/claims/{claim}", {"approve": True}),
    ("post", API + "/moderation/memberships/{membership}", {"decision": "approve"}),
]

PAGE_CALLS = [
    ("get", "/partner/claim/{slug}/", None),
    ("post", "/partner/claim/{slug}/", {"message": "it is us"}),
    ("get", "/partner/o/{slug}/", None),
    ("post", "/partner/o/{slug}/confirm/", {}),
    ("post", "/partner/moderation/organisations/{slug}/", {"status": "published"}),
    ("post", "/partner/moderation/change-requests/{change}/", {"approve": "1"}),
    ("post", "/partner/moderation/claims/{claim}/", {"approve": "1"}),
    ("post", "/partner/moderation/memberships/{membership}/", {"approve": "1"}),
]


def _fill(template: Any, ids: dict[str, Any]) -> Any:
    if isinstance(template, str):
        return template.format(**ids)
    if isinstance(template, dict):
        return {k: _fill(v, ids) for k, v in template.items()}
    return template


def _answer(response: Any) -> tuple[int, bytes]:
    return response.status_code, response.content


@pytest.mark.parametrize("status", [m.PublicationStatus.PENDING, m.PublicationStatus.SUSPENDED])
@pytest.mark.parametrize(("method", "path", "body"), API_CALLS, ids=[f"{c[0]} {c[1][len(API) :]}" for c in API_CALLS])
def test_the_api_answers_an_invisible_object_as_a_missing_one(world, status, method, path, body) -> None:
    client = people.api_as(world["stranger"])
    answers = []
    for ids in (world["hidden"][status], MISSING):
        kwargs = {"format": "json"} if body is not None else {}
        response = getattr(client, method)(_fill(path, ids), _fill(body, ids), **kwargs)
        answers.append(_answer(response))
    assert answers[0] == answers[1]
    assert answers[0][0] == 404
    assert SECRET_NAME.encode() not in answers[0][1]


@pytest.mark.parametrize("status", [m.PublicationStatus.PENDING, m.PublicationStatus.SUSPENDED])
@pytest.mark.parametrize(("method", "path", "body"), PAGE_CALLS, ids=[f"{c[0]} {c[1]}" for c in PAGE_CALLS])
def test_the_pages_answer_an_invisible_object_as_a_missing_one(world, status, method, path, body) -> None:
    client = people.pages_as(world["stranger"])
    answers = []
    for ids in (world["hidden"][status], MISSING):
        response = getattr(client, method)(_fill(path, ids), _fill(body, ids))
        answers.append(_answer(response))
    assert answers[0][0] == answers[1][0] == 404
    assert SECRET_NAME not in answers[0][1].decode()


def test_a_published_listing_can_still_be_claimed(world) -> None:
    org = f.OrganisationFactory(slug="public-one", name="Открытая", status=m.PublicationStatus.PUBLISHED)
    response = people.pages_as(world["stranger"]).get(f"/partner/claim/{org.slug}/")
    assert response.status_code == 200 and "Открытая" in response.content.decode()

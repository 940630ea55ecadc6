"""Which experts are proposed for a request, and in what order: topic fit,
then language, then geodesic distance; who is skipped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from orgs import models as m
from orgs import press
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def topics() -> dict[str, m.Category]:
    parent = f.CategoryFactory(slug="legal-help")
    leaf = f.CategoryFactory(slug="free-advocate", parent=parent)
    sibling = f.CategoryFactory(slug="court-representation", parent=parent)
    other = f.CategoryFactory(slug="harm-reduction")
    return {"parent": parent, "leaf": leaf, "sibling": sibling, "other": other}


def expert(name: str, *, topic: m.Category, languages: list[str], place: m.Place | None, **kwargs) -> m.Expert:
    e = f.ExpertFactory(full_name=name, languages=languages, place=place, **kwargs)
    e.topics.set([topic])
    return e


def names(req: m.PressRequest, **kwargs) -> list[str]:
    return [r.expert.full_name for r in press.experts_ranked(press_request=req, **kwargs)]


def test_rank_by_topic_then_language_then_distance(topics) -> None:
    pskov = f.PlaceFactory(point=Point(28.33, 57.82, srid=4326))
    near = f.PlaceFactory(point=Point(28.50, 57.90, srid=4326))  # ~13 km from Pskov
    far = f.PlaceFactory(point=Point(131.9, 43.1, srid=4326))  # Vladivostok
    expert("exact-ru-near", topic=topics["leaf"], languages=["ru"], place=near)
    expert("exact-ru-far", topic=topics["leaf"], languages=["ru"], place=far)
    expert("exact-ru-nowhere", topic=topics["leaf"], languages=["ru"], place=None)
    expert("exact-en-near", topic=topics["leaf"], languages=["en"], place=pskov)
    expert("broader-ru-at-the-place", topic=topics["parent"], languages=["ru"], place=pskov)
    expert("sibling-only", topic=topics["sibling"], languages=["ru"], place=pskov)
    expert("unrelated", topic=topics["other"], languages=["ru"], place=pskov)
    req = f.PressRequestFactory(place=pskov, language="ru", categories=[topics["leaf"]])
    assert names(req) == [
        "exact-ru-near",
        "exact-ru-far",
        "exact-ru-nowhere",
        "exact-en-near",
        "broader-ru-at-the-place",
    ]
    ranked = press.experts_ranked(press_request=req)
    assert ranked[0].topic_score == 2 and ranked[-1].topic_score == 1
    assert 10 < ranked[0].distance_km < 16  # geodesic kilometres, not degrees
    assert ranked[1].distance_km > 6000


def test_a_narrower_expert_fits_a_broad_request(topics) -> None:
    expert("advocate", topic=topics["leaf"], languages=["ru"], place=None)
    expert("harm-reduction", topic=topics["other"], languages=["ru"], place=None)
    req = f.PressRequestFactory(categories=[topics["parent"]])
    assert names(req) == ["advocate"]


def test_a_request_without_topics_considers_everyone(topics) -> None:
    expert("a", topic=topics["leaf"], languages=["ru"], place=None)
    expert("b", topic=topics["other"], languages=["ru"], place=None)
    assert sorted(names(f.PressRequestFactory())) == ["a", "b"]


def test_paused_experts_and_unpublished_organisations_are_skipped(topics) -> None:
    expert("paused", topic=topics["leaf"], languages=["ru"], place=None, paused=True)
    hidden_org = f.OrganisationFactory(status=m.PublicationStatus.SUSPENDED)
    expert("suspended-org", topic=topics["leaf"], languages=["ru"], place=None, organisation=hidden_org)
    expert("no-email", topic=topics["leaf"], languages=["ru"], place=None, email="")
    expert("available", topic=topics["leaf"], languages=["ru"], place=None)
    assert names(f.PressRequestFactory(categories=[topics["leaf"]])) == ["available"]


def test_an_expert_who_declined_the_same_outlet_recently_is_skipped(topics) -> None:
    declined = expert("declined", topic=topics["leaf"], languages=["ru"], place=None)
    long_ago = expert("declined-long-ago", topic=topics["leaf"], languages=["ru"], place=None)
    other_outlet = expert("declined-other-outlet", topic=topics["leaf"], languages=["ru"], place=None)
    now = timezone.now()

    def declined_before(e: m.Expert, outlet: str, days: int) -> None:
        earlier = f.PressRequestFactory(outlet=outlet)
        m.ExpertInvitation.objects.create(
            request=earlier,
            expert=e,
            token_hash=f"{e.pk:064d}",
            expires_at=now,
            status=m.InvitationStatus.DECLINED,
            responded_at=now - dt.timedelta(days=days),
        )

    declined_before(declined, "Новая газета", 10)
    declined_before(long_ago, "Новая газета", 100)
    declined_before(other_outlet, "Коммерсант", 10)
    req = f.PressRequestFactory(outlet="новая газета ", categories=[topics["leaf"]])
    assert sorted(names(req)) == ["declined-long-ago", "declined-other-outlet"]


def test_on_camera_requests_go_only_to_experts_who_appear_on_camera(topics) -> None:
    expert("camera", topic=topics["leaf"], languages=["ru"], place=None, on_camera=True)
    expert("no-camera", topic=topics["leaf"], languages=["ru"], place=None, on_camera=False)
    req = f.PressRequestFactory(format=m.PressFormat.CAMERA, categories=[topics["leaf"]])
    assert names(req) == ["camera"]


def test_a_coalitions_request_goes_to_its_members_experts(topics) -> None:
    network = f.NetworkFactory()
    member = f.OrganisationFactory()
    f.MembershipFactory(organisation=member, network=network)
    applicant = f.OrganisationFactory()
    f.MembershipFactory(organisation=applicant, network=network, status=m.MembershipStatus.APPLIED)
    expert("member", topic=topics["leaf"], languages=["ru"], place=None, organisation=member)
    expert("applicant", topic=topics["leaf"], languages=["ru"], place=None, organisation=applicant)
    expert("outsider", topic=topics["leaf"], languages=["ru"], place=None)
    req = f.PressRequestFactory(network=network, categories=[topics["leaf"]])
    assert names(req) == ["member"]


def test_experts_already_asked_are_not_proposed_again(topics) -> None:
    asked = expert("asked", topic=topics["leaf"], languages=["ru"], place=None)
    expert("not-asked", topic=topics["leaf"], languages=["ru"], place=None)
    req = f.PressRequestFactory(categories=[topics["leaf"]])
    m.ExpertInvitation.objects.create(
        request=req, expert=asked, token_hash="a" * 64, expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    assert names(req) == ["not-asked"]


def test_topic_score() -> None:
    parents = {1: None, 2: 1, 3: 2, 4: None}
    assert press.topic_score([3], [3], parents) == 2
    assert press.topic_score([3], [1], parents) == 1  # broader
    assert press.topic_score([1], [3], parents) == 1  # narrower
    assert press.topic_score([3], [4], parents) == 0
    assert press.topic_score([3, 4], [3, 4], parents) == 4

"""Tests of the safety rules themselves, written where planted bugs used to pass.

An outside review planted forty bugs in the safety code one at a time; these
catch the ones no test caught: the blur's bounds (with fixed seeds, not luck),
a city-only place with no town near, the rounding of distances to protected
places (asserted against the rule, not against a second implementation),
the candidate rule, and the press acceptance's one-disclosure promise.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from geographiclib.geodesic import Geodesic

from orgs import geo, press, services
from orgs import models as m
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db

TRUE = Point(30.3141, 59.9386, srid=4326)


def metres(a: Point, b: Point) -> float:
    return Geodesic.WGS84.Inverse(a.y, a.x, b.y, b.x)["s12"]


# --- the blur -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 7, 42, 2**31 - 1, 2**62, -(2**62), 123456789])
def test_the_blur_stays_between_half_the_radius_and_the_radius(seed: int) -> None:
    radius = 2000
    moved = metres(TRUE, geo.blurred(TRUE, seed, radius))
    assert radius / 2 * 0.995 <= moved <= radius * 1.005, (seed, moved)


def test_no_seed_of_a_thousand_puts_the_blur_close() -> None:
    """Every seed, not two runs in three: the minimum offset holds for all."""
    radius = settings.LOCATION_BLUR_M
    distances = [metres(TRUE, geo.blurred(TRUE, seed, radius)) for seed in range(1000)]
    assert min(distances) >= radius / 2 * 0.995
    assert max(distances) <= radius * 1.005
    # And it really spreads over the ring (a constant offset would pass the bounds).
    assert max(distances) - min(distances) > radius / 4


def test_many_approximate_places_are_each_blurred_at_least_half_the_radius() -> None:
    org = f.OrganisationFactory(located=False)
    radius = settings.LOCATION_BLUR_M
    for i in range(60):
        point = Point(28.0 + i * 0.05, 57.0 + (i % 7) * 0.1, srid=4326)
        location = f.LocationFactory(organisation=org, point=point, visibility=m.Visibility.APPROXIMATE)
        moved = metres(point, location.public_point)
        assert radius / 2 * 0.995 <= moved <= radius * 1.005, (i, location.blur_seed, moved)


# --- city only --------------------------------------------------------------------------------


def test_a_city_only_place_with_no_town_near_is_blurred_widely() -> None:
    """No town within the snap radius (30 km): a blur five times the approximate one,
    never the true point, and never a town 100 km away."""
    far_town = f.PlaceFactory(name="Far", point=Point(TRUE.x + 1.8, TRUE.y, srid=4326))  # ~100 km east
    assert metres(TRUE, far_town.point) > 90_000
    org = f.OrganisationFactory(located=False)
    location = f.LocationFactory(organisation=org, point=TRUE, visibility=m.Visibility.CITY, place=None)
    public = location.public_point
    moved = metres(TRUE, public)
    radius = 5 * settings.LOCATION_BLUR_M
    assert radius / 2 * 0.995 <= moved <= radius * 1.005, moved
    assert metres(public, far_town.point) > 50_000


def test_a_city_only_place_snaps_to_the_town_within_the_radius() -> None:
    near_town = f.PlaceFactory(name="Near", point=Point(TRUE.x + 0.2, TRUE.y, srid=4326))  # ~11 km
    org = f.OrganisationFactory(located=False)
    location = f.LocationFactory(organisation=org, point=TRUE, visibility=m.Visibility.CITY, place=None)
    assert metres(location.public_point, near_town.point) < 1
    assert geo.CITY_SNAP_M == 30_000


# --- distances to protected places, as the public API gives them -----------------------------------


@pytest.mark.parametrize("visibility", [m.Visibility.APPROXIMATE, m.Visibility.CITY])
def test_public_distances_to_a_protected_place_are_whole_km_from_the_public_point(visibility: str) -> None:
    town = f.PlaceFactory(name="Saint Petersburg", name_ru="Санкт-Петербург", point=Point(30.26, 59.95, srid=4326))
    org = f.OrganisationFactory(located=False, name="Приют")
    location = f.LocationFactory(organisation=org, point=TRUE, visibility=visibility, place=town)
    f.ServiceFactory(organisation=org, locations=[location])
    public = location.public_point
    client = people.api_as()
    for bearing, km in ((0, 3.3), (90, 12.6), (200, 41.2)):
        origin = geo.destination(public, bearing, km * 1000)
        body = client.get("/api/v1/nearest", {"lat": origin.y, "lon": origin.x}).json()
        result = next(r for r in body["results"] if r["organisation"]["name"] == "Приют")
        shown = result["distance_m"]
        assert shown % 1000 == 0, shown
        # Rounded from the public point, to the nearest kilometre.
        assert shown == max(1000, round(metres(origin, public) / 1000) * 1000), (bearing, km, shown)


def test_an_exact_places_distance_is_in_metres() -> None:
    org = f.OrganisationFactory(located=False, name="Открытый центр")
    location = f.LocationFactory(organisation=org, point=TRUE, visibility=m.Visibility.EXACT)
    f.ServiceFactory(organisation=org, locations=[location])
    origin = geo.destination(TRUE, 45, 3_456)
    body = people.api_as().get("/api/v1/nearest", {"lat": origin.y, "lon": origin.x}).json()
    result = next(r for r in body["results"] if r["organisation"]["name"] == "Открытый центр")
    # Geodesic metres, not rounded (geo.destination is spherical: measure, don't assume 3,456).
    assert result["distance_m"] == round(metres(origin, TRUE))


# --- coalition rules ------------------------------------------------------------------------------


def test_no_candidate_without_the_candidate_role() -> None:
    """A candidate term alone does not make a candidate: the coalition must offer the role."""
    network = f.NetworkFactory(slug="no-candidates", roles=["member", "partner"], candidate_term_days=365)
    coordinator = people.user("coordinator")
    m.NetworkCoordinator.objects.create(network=network, user=coordinator)
    ms = f.MembershipFactory(network=network, status=m.MembershipStatus.APPLIED, role=m.MembershipRole.MEMBER)
    with pytest.raises(ValidationError) as refused:
        services.membership_decide(user=coordinator, membership=ms, decision="accept_as_candidate")
    assert refused.value.message_dict == {"decision": [str(services.NO_CANDIDATE_TERM)]}
    ms.refresh_from_db()
    assert ms.status == m.MembershipStatus.APPLIED and ms.role == m.MembershipRole.MEMBER


# --- the press acceptance ----------------------------------------------------------------------------


def _invited(req: m.PressRequest, expert: m.Expert) -> str:
    raw, token_hash = press.new_token()
    m.ExpertInvitation.objects.create(
        request=req, expert=expert, token_hash=token_hash, expires_at=timezone.now() + dt.timedelta(hours=12)
    )
    return raw


@pytest.fixture
def two_invited() -> tuple[m.PressRequest, str, str]:
    org = f.OrganisationFactory()
    anna = f.ExpertFactory(organisation=org, email="anna@experts.example", share_email=True)
    boris = f.ExpertFactory(organisation=org, email="boris@experts.example", share_email=True)
    req = f.PressRequestFactory(status=m.PressRequestStatus.SEARCHING)
    return req, _invited(req, anna), _invited(req, boris)


def test_after_one_expert_accepts_the_others_links_are_dead(two_invited) -> None:
    req, anna_link, boris_link = two_invited
    press.invitation_answer(token=anna_link, accept=True, base_url="http://testserver")
    with pytest.raises(PermissionDenied):
        press.invitation_answer(token=boris_link, accept=True, base_url="http://testserver")
    assert m.Disclosure.objects.filter(request=req).count() == 1
    statuses = dict(m.ExpertInvitation.objects.filter(request=req).values_list("expert__email", "status"))
    assert statuses == {"anna@experts.example": "accepted", "boris@experts.example": "cancelled"}


@pytest.mark.parametrize(
    "closed", [m.PressRequestStatus.WITHDRAWN, m.PressRequestStatus.CLOSED, m.PressRequestStatus.FOUND]
)
def test_a_still_sent_link_on_a_closed_request_discloses_nothing(two_invited, closed: str) -> None:
    req, anna_link, _ = two_invited
    req.status = closed
    req.save()
    with pytest.raises(PermissionDenied) as refused:
        press.invitation_answer(token=anna_link, accept=True, base_url="http://testserver")
    assert str(refused.value) == str(press.REQUEST_NOT_OPEN)
    assert not m.Disclosure.objects.exists()

"""Geography helpers: the public (blurred) position of a location and what may
be said publicly about distances to it.

Why a fixed offset rather than fresh noise per answer: fresh noise averages out
over many queries and converges on the true point. A fixed offset, between half
the blur radius and the whole of it, means that everything public (coordinates
and distances) is consistent with one false point that is never closer than
half the radius to the true one; trilateration recovers that false point only.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.gis.geos import Point

if TYPE_CHECKING:
    from orgs.models import Location

EARTH_RADIUS_M = 6_371_008.8
# How far (metres) a city-only location may lie from the gazetteer town it is shown at.
CITY_SNAP_M = 30_000
# Public distances to protected locations are rounded to this many metres.
PROTECTED_DISTANCE_STEP_M = 1000


def destination(point: Point, bearing_deg: float, distance_m: float) -> Point:
    """The point reached from ``point`` along a great circle (spherical is
    plenty for an offset of a few kilometres)."""
    lat1 = math.radians(point.y)
    lon1 = math.radians(point.x)
    brg = math.radians(bearing_deg)
    d = distance_m / EARTH_RADIUS_M
    lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(brg))
    lon2 = lon1 + math.atan2(
        math.sin(brg) * math.sin(d) * math.cos(lat1), math.cos(d) - math.sin(lat1) * math.sin(lat2)
    )
    lon = (math.degrees(lon2) + 540) % 360 - 180  # wrap across the antimeridian
    return Point(lon, math.degrees(lat2), srid=4326)


def blurred(point: Point, seed: int, radius_m: float) -> Point:
    rng = random.Random(seed)  # noqa: S311 - deterministic by design, not for secrets
    bearing = rng.uniform(0, 360)
    distance = rng.uniform(radius_m / 2, radius_m)
    return destination(point, bearing, distance)


def public_point_for(location: Location) -> Point | None:
    """The position the public may see for this location."""
    from orgs.models import LocationKind, Place, Visibility

    if location.kind == LocationKind.VIRTUAL or location.point is None:
        return None
    point = Point(location.point.x, location.point.y, srid=4326)
    if location.visibility == Visibility.EXACT:
        return point
    if location.visibility == Visibility.APPROXIMATE:
        return blurred(point, location.blur_seed, settings.LOCATION_BLUR_M)
    # City only: the centre of the town it is in, from the gazetteer.
    place = location.place
    if place is None:
        from django.contrib.gis.db.models.functions import GeometryDistance
        from django.contrib.gis.measure import D

        place = (
            Place.objects.filter(point__dwithin=(point, D(m=CITY_SNAP_M)))
            .order_by(GeometryDistance("point", point), "-population")
            .first()
        )
    if place is not None:
        return Point(place.point.x, place.point.y, srid=4326)
    # No town known nearby: a wider blur than "approximate".
    return blurred(point, location.blur_seed, 5 * settings.LOCATION_BLUR_M)


def public_distance_m(distance_m: float, visibility: str) -> int:
    """A distance as it may be published: metres for exact places, rounded for protected ones."""
    if visibility == "exact":
        return round(distance_m)
    step = PROTECTED_DISTANCE_STEP_M
    return max(step, round(distance_m / step) * step)

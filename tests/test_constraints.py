"""The database itself refuses bad rows, whatever code wrote them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from orgs import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db


def _violates(constraint: str, fn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        fn()


def test_postgis_coerces_out_of_range_geography() -> None:
    """Why points are validated before they are written: PostGIS does not refuse
    latitude 95 on a geography column, it silently stores latitude 85."""
    with connection.cursor() as cur:
        cur.execute("SELECT ST_Y(ST_GeogFromText('SRID=4326;POINT(30 95)')::geometry)")
        assert cur.fetchone()[0] == 85


@pytest.mark.parametrize(("lon", "lat"), [(30, 95), (30, -90.5), (181, 10), (-200, 10)])
def test_location_point_out_of_range_is_refused(lon: float, lat: float) -> None:
    loc = f.LocationFactory.build(organisation=f.OrganisationFactory(), point=Point(lon, lat, srid=4326))
    with pytest.raises(ValidationError) as err:
        loc.full_clean()
    assert "point" in err.value.message_dict


def test_physical_location_needs_point() -> None:
    org = f.OrganisationFactory()
    _violates(
        "location_point_matches_kind",
        lambda: m.Location.objects.bulk_create(
            [m.Location(organisation=org, kind=m.LocationKind.PHYSICAL, point=None)]
        ),
    )


def test_virtual_location_has_no_point() -> None:
    org = f.OrganisationFactory()
    _violates(
        "location_point_matches_kind",
        lambda: m.Location.objects.bulk_create(
            [
                m.Location(
                    organisation=org,
                    kind=m.LocationKind.VIRTUAL,
                    point=Point(30, 60, srid=4326),
                    public_point=Point(30, 60, srid=4326),
                )
            ]
        ),
    )


def test_membership_until_must_follow_since() -> None:
    _violates(
        "membership_until_after_since",
        lambda: f.MembershipFactory(since=dt.date(2025, 5, 1), until=dt.date(2025, 4, 1)),
    )


def test_active_candidate_needs_since() -> None:
    _violates(
        "membership_candidate_has_since",
        lambda: f.MembershipFactory(since=None, role=m.MembershipRole.CANDIDATE),
    )
    # A member who joined on an unrecorded date is fine.
    assert f.MembershipFactory(since=None, role=m.MembershipRole.MEMBER).pk


def test_service_format_must_be_known() -> None:
    _violates("service_formats_valid", lambda: f.ServiceFactory(formats=["teleport"]))
    _violates("service_formats_valid", lambda: f.ServiceFactory(formats=[]))


def test_service_age_range_ordered() -> None:
    _violates("service_age_range_ordered", lambda: f.ServiceFactory(min_age=18, max_age=6))


def test_service_area_must_be_complete() -> None:
    _violates("service_area_complete", lambda: f.ServiceFactory(area_kind=m.AreaKind.COUNTRY, area_country=""))
    _violates("service_area_complete", lambda: f.ServiceFactory(area_kind=m.AreaKind.POLYGON))


def test_ogrn_must_be_digits_in_database() -> None:
    _violates("org_ogrn_digits", lambda: f.OrganisationFactory(ogrn="12345"))


def _with_constraints_immediate(action: Callable[[], object]) -> None:
    """Run `action` in a savepoint with deferred constraints checked at once."""
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        action()


def test_published_organisation_needs_location_or_remote_service() -> None:
    # The trigger is deferred to commit; make it immediate inside the test's transaction.
    with pytest.raises(IntegrityError, match=r"org_published_has_presence|no location"):
        _with_constraints_immediate(lambda: f.OrganisationFactory(status=m.PublicationStatus.PUBLISHED, located=False))


def test_published_organisation_with_location_is_accepted() -> None:
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        org = f.OrganisationFactory(status=m.PublicationStatus.DRAFT)
        f.LocationFactory(organisation=org)
        org.status = m.PublicationStatus.PUBLISHED
        org.save()
    assert m.Organisation.objects.get(pk=org.pk).status == "published"


def test_removing_last_location_of_published_org_is_refused() -> None:
    org = f.OrganisationFactory(status=m.PublicationStatus.DRAFT)
    loc = f.LocationFactory(organisation=org)
    org.status = m.PublicationStatus.PUBLISHED
    org.save()
    with pytest.raises(IntegrityError, match="no location"):
        _with_constraints_immediate(loc.delete)

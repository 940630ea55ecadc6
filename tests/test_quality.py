"""A coalition's data quality page: what each active member's listing lacks,
seen by its coordinators and site moderators only (a 404 to anyone else),
and the reminder e-mailed to the owners at most once a week."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from orgs import models as m
from orgs import quality
from orgs.services import quality as quality_services
from tests import factories as f
from tests import people
from tests.partner_pages import emailed_path, make_coordinator, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def stop_sed() -> m.Network:
    return f.NetworkFactory(slug="stop-sed", name="СТОП СЭД", roles=["participant"])


def _member(network: m.Network, *, name: str, **org: Any) -> m.Organisation:
    organisation = f.OrganisationFactory(name=name, located=False, **org)
    m.Membership.objects.create(
        organisation=organisation, network=network, role="participant", status=m.MembershipStatus.ACTIVE
    )
    return organisation


def _complete(network: m.Network) -> m.Organisation:
    org = _member(network, name="Полный", email="help@example.org", last_verified_at=timezone.localdate())
    place = f.LocationFactory(organisation=org)
    f.OpeningHoursFactory(location=place)
    f.ServiceFactory(organisation=org)
    return org


def test_each_gap_is_found_and_a_complete_listing_has_none(stop_sed: m.Network) -> None:
    complete = _complete(stop_sed)
    assert quality.member_gaps(complete) == []
    bare = _member(stop_sed, name="Пустой")
    f.LocationFactory(organisation=bare)  # a place to visit, no hours, no phone
    assert quality.member_gaps(bare) == ["contacts", "hours", "verification", "services"]
    # Each gap closes on its own.
    f.OpeningHoursFactory(location=bare.locations.get())
    assert "hours" not in quality.member_gaps(bare)
    f.ServiceFactory(organisation=bare, phone="+7 811 200-00-00")
    assert set(quality.member_gaps(bare)) == {"verification"}
    m.Organisation.objects.filter(pk=bare.pk).update(last_verified_at=timezone.localdate() - dt.timedelta(days=366))
    assert quality.member_gaps(bare) == ["verification"]
    m.Organisation.objects.filter(pk=bare.pk).update(last_verified_at=timezone.localdate() - dt.timedelta(days=300))
    assert quality.member_gaps(bare) == []


def test_a_phone_at_a_place_is_a_contact_and_online_only_needs_no_hours(stop_sed: m.Network) -> None:
    org = _member(stop_sed, name="Телефон", last_verified_at=timezone.localdate())
    f.LocationFactory(organisation=org, kind=m.LocationKind.VIRTUAL, point=None, phone="8-800-000-00-00")
    f.ServiceFactory(organisation=org)
    assert quality.member_gaps(org) == []


def test_only_active_members_most_gaps_first(stop_sed: m.Network) -> None:
    complete = _complete(stop_sed)
    bare = _member(stop_sed, name="Пустой")
    f.LocationFactory(organisation=bare)
    applicant = f.OrganisationFactory(name="Заявитель")
    m.Membership.objects.create(organisation=applicant, network=stop_sed, role="participant")
    rows = quality.network_quality(stop_sed)
    assert [row.organisation for row in rows] == [bare, complete]


def test_the_page_is_the_coordinators_and_a_404_to_others(stop_sed: m.Network, moderator: Any) -> None:
    bare = _member(stop_sed, name="Пустой")
    f.LocationFactory(organisation=bare)
    url = "/partner/coalitions/stop-sed/quality/"
    coordinator = make_coordinator(stop_sed)
    page = page_text(people.pages_as(coordinator).get(url))
    assert "Пустой" in page and "No public phone, e-mail or website" in page and "Remind the owners" in page
    assert people.pages_as(moderator).get(url).status_code == 200
    other = make_coordinator(f.NetworkFactory(slug="alliance"), name="other")
    assert people.pages_as(other).get(url).status_code == 404
    assert people.pages_as(people.user("owner")).get(url).status_code == 404
    assert people.pages_as().get(url).status_code == 302  # to sign in
    # The coordinator's dashboard links to it.
    assert url in page_text(people.pages_as(coordinator).get("/partner/"))


def test_a_reminder_mails_the_owners_what_is_missing_once_a_week(
    stop_sed: m.Network, mailoutbox: list[Any], russian_default: None
) -> None:
    owner = people.user("owner")
    bare = _member(stop_sed, name="Пустой")
    f.LocationFactory(organisation=bare)
    m.OrganisationAccess.objects.create(organisation=bare, user=owner)
    coordinator = make_coordinator(stop_sed)
    client = people.pages_as(coordinator)
    response = client.post(f"/partner/coalitions/stop-sed/quality/{bare.slug}/remind/", follow=True)
    assert "The owners of “Пустой” are reminded by e-mail." in page_text(response)
    (message,) = mailoutbox
    assert message.to == ["owner@example.org"]
    assert message.subject == "Help Locator: в карточке «Пустой» не хватает нескольких сведений"
    assert "СТОП СЭД" in message.body and "Нет публичного телефона" in message.body
    path = emailed_path(message.body)
    assert path == f"/partner/o/{bare.slug}/"
    assert people.pages_as(owner).get(path).status_code == 200
    # A second press within the week: said on the page, nothing sent.
    again = client.post(f"/partner/coalitions/stop-sed/quality/{bare.slug}/remind/", follow=True)
    assert "reminded less than a week ago" in page_text(again)
    assert len(mailoutbox) == 1
    m.Organisation.objects.filter(pk=bare.pk).update(quality_reminded_at=timezone.now() - dt.timedelta(days=8))
    client.post(f"/partner/coalitions/stop-sed/quality/{bare.slug}/remind/")
    assert len(mailoutbox) == 2


def test_a_reminder_is_refused_with_nothing_sent(stop_sed: m.Network, mailoutbox: list[Any]) -> None:
    coordinator = make_coordinator(stop_sed)
    complete = _complete(stop_sed)
    m.OrganisationAccess.objects.create(organisation=complete, user=people.user("owner"))
    with pytest.raises(ValidationError):
        quality_services.quality_reminder_send(by=coordinator, network=stop_sed, organisation=complete)
    orphan = _member(stop_sed, name="Ничья")
    f.LocationFactory(organisation=orphan)
    with pytest.raises(ValidationError):
        quality_services.quality_reminder_send(by=coordinator, network=stop_sed, organisation=orphan)
    # Not a member of the coordinator's coalition: not theirs to remind (a 404 on the page).
    stranger = f.OrganisationFactory(name="Чужая")
    with pytest.raises(PermissionDenied):
        quality_services.quality_reminder_send(by=coordinator, network=stop_sed, organisation=stranger)
    response = people.pages_as(coordinator).post(f"/partner/coalitions/stop-sed/quality/{stranger.slug}/remind/")
    assert response.status_code == 404
    other = make_coordinator(f.NetworkFactory(slug="alliance"), name="other")
    with pytest.raises(PermissionDenied):
        quality_services.quality_reminder_send(by=other, network=stop_sed, organisation=orphan)
    assert mailoutbox == []
    assert not m.Organisation.objects.filter(quality_reminded_at__isnull=False).exists()

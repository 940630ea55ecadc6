"""The partner pages end to end through Django's test client: sign-up,
registration, bad input, duplicates and claims, and who may see what.
Edits are in test_partner_page_edits.py, moderation in
test_partner_page_moderation.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.gis.geos import Point

from orgs import models as m
from orgs import services
from orgs.validators import OGRN_CHECKSUM
from tests import factories as f
from tests import people
from tests.partner_pages import (
    AGES_ORDER,
    OGRN,
    QUEUE,
    REGISTER,
    emailed_path,
    field_errors,
    make_coordinator,
    make_taxonomy,
    page_text,
    registration,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxonomy() -> dict[str, Any]:
    return make_taxonomy()


# --- the whole path ------------------------------------------------------------------------


@pytest.mark.usefixtures("taxonomy")
def test_sign_up_register_moderate_publish(mailoutbox, taxonomy) -> None:
    client = people.pages_as()
    # Sign up, confirm the address from the e-mail, sign in.
    client.post(
        "/accounts/signup/", {"email": "anna@example.org", "password1": people.PASSWORD, "password2": people.PASSWORD}
    )
    client.get(emailed_path(mailoutbox[-1].body))
    response = client.post("/accounts/login/", {"username": "anna@example.org", "password": people.PASSWORD})
    assert response.status_code == 302 and response.url == "/partner/"
    assert "You do not manage any organisation yet" in page_text(client.get("/partner/"))

    # The registration page has a map to pick the point and the explanations of visibility.
    form_page = page_text(client.get(REGISTER))
    assert "data-point-picker" in form_page and 'name="loc-0-lat"' in form_page
    assert "vendor/leaflet/1.9.4/leaflet.js" in form_page and "frontend/partner.js" in form_page
    assert "The public sees a point 1–2 km away from the real place" in form_page

    response = client.post(REGISTER, registration())
    assert response.status_code == 302, page_text(response)
    org = m.Organisation.objects.get()
    assert response.url == f"/partner/o/{org.slug}/"
    assert org.status == m.PublicationStatus.PENDING
    assert org.access.get().user.email == "anna@example.org"
    location = org.locations.get()
    assert (location.point.y, location.point.x) == (57.8136, 28.3496)
    assert location.visibility == "approximate" and location.kind == "physical"
    assert [(h.weekday, h.opens.hour, h.closes.hour) for h in location.hours.all()] == [(0, 9, 18)]
    service = org.services.get()
    assert list(service.locations.all()) == [location]
    assert set(service.formats) == {"in_person", "online"}
    assert org.memberships.get().network.slug == "stop-sed"
    assert "Waiting for a moderator" in page_text(client.get(response.url))

    # Pending: not public.
    assert client.get(f"/o/{org.slug}/").status_code == 404
    assert people.pages_as().get(f"/api/v1/organisations/{org.slug}").status_code == 404

    # The coordinator of STOP SED sees it; the coordinator of another coalition does not.
    other = make_coordinator(taxonomy["alliance"], "other-coord")
    assert org.name not in page_text(people.pages_as(other).get(QUEUE))
    refused = people.pages_as(other).post(f"/partner/moderation/organisations/{org.slug}/", {"status": "published"})
    assert refused.status_code == 404  # a pending listing of another coalition: not theirs to see
    coordinator = make_coordinator(taxonomy["stop_sed"])
    queue = page_text(people.pages_as(coordinator).get(QUEUE))
    assert org.name in queue and "ул. Примерная, 1" in queue

    mailoutbox.clear()
    response = people.pages_as(coordinator).post(
        f"/partner/moderation/organisations/{org.slug}/", {"status": "published"}
    )
    assert response.status_code == 302 and response.url == QUEUE
    org.refresh_from_db()
    assert org.status == m.PublicationStatus.PUBLISHED
    assert [mail.to for mail in mailoutbox] == [["anna@example.org"]]
    assert people.pages_as().get(f"/o/{org.slug}/").status_code == 200
    assert people.pages_as().get(f"/api/v1/organisations/{org.slug}").status_code == 200


@pytest.mark.usefixtures("taxonomy")
def test_registration_from_a_town_without_a_point() -> None:
    """No script (or no click on the map): the town typed is looked up in the gazetteer."""
    pskov = f.PlaceFactory(
        name="Pskov", name_ru="Псков", point=Point(28.33, 57.82, srid=4326), timezone="Europe/Moscow"
    )
    client = people.pages_as(people.user("anna"))
    response = client.post(
        REGISTER, registration(**{"loc-0-lat": "", "loc-0-lon": "", "loc-0-visibility": "city", "loc-0-city": "Псков"})
    )
    assert response.status_code == 302, page_text(response)
    location = m.Location.objects.get()
    assert location.place == pskov and location.visibility == "city"
    assert (location.point.x, location.point.y) == (28.33, 57.82)
    # With "exact" visibility a town is not enough: the public would see its centre as the address.
    m.Organisation.objects.all().delete()
    exact = {"loc-0-lat": "", "loc-0-lon": "", "loc-0-visibility": "exact", "org-ogrn": "", "org-inn": ""}
    refused = client.post(REGISTER, registration(**exact))
    assert refused.status_code == 400
    assert "mark the place on the map" in page_text(refused)
    assert not m.Organisation.objects.exists()


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("taxonomy")
def test_errors_are_shown_beside_what_was_typed_and_nothing_is_saved() -> None:
    client = people.pages_as(people.user("anna"))
    bad = registration(
        **{
            "org-ogrn": "1027700132196",  # wrong check digit
            "org-website": "not a site",
            "loc-0-lat": "95",
            "loc-0-hours_1_opens": "10:00",  # without a closing time
            "svc-0-categories": [],
            "svc-0-min_age": "18",
            "svc-0-max_age": "7",
        }
    )
    response = client.post(REGISTER, bad)
    page = page_text(response)
    assert response.status_code == 400
    # Every message at once, each beside its input ...
    assert str(OGRN_CHECKSUM) in page
    assert "Enter a valid URL" in page
    assert "less than or equal to 90" in page
    assert "Give both the opening and the closing time" in page
    assert "Choose at least one kind of help" in page
    # The ages' order is Service.clean's rule, shown with the form's own messages, on "To age".
    assert field_errors(page, "svc-0-max_age") == [AGES_ORDER]
    # ... and what was typed is still there.
    assert 'value="АНО «Светлый дом»"' in page
    assert 'value="1027700132196"' in page
    assert 'value="ул. Примерная, 1"' in page
    assert 'value="Консультация психолога"' in page
    assert "Психологическая помощь детям, пережившим насилие." in page
    assert not m.Organisation.objects.exists() and not m.Location.objects.exists()


@pytest.mark.usefixtures("taxonomy")
def test_an_error_only_the_service_finds_goes_back_to_its_form_and_nothing_is_half_saved() -> None:
    holder = f.OrganisationFactory()
    client = people.pages_as(people.user("anna"))
    # The same number twice: only the service compares the rows.
    data = registration(
        **{
            "org-ogrn": "",
            "org-inn": "",
            "ident-TOTAL_FORMS": "2",
            "ident-0-scheme": "KZ-BIN",
            "ident-0-identifier": "123456789012",
            "ident-0-country": "KZ",
            "ident-1-scheme": "kz-bin",
            "ident-1-identifier": "123456789012",
            "ident-1-country": "KZ",
        }
    )
    response = client.post(REGISTER, data)
    page = page_text(response)
    assert response.status_code == 400
    assert str(services.REPEATED_IDENTIFIER) in page
    assert 'value="123456789012"' in page
    # The organisation row was written before the identifier failed: rolled back with it.
    assert list(m.Organisation.objects.all()) == [holder]
    assert not m.OrganisationAccess.objects.exists()


@pytest.mark.usefixtures("taxonomy")
def test_another_countrys_registry_number_already_listed_offers_this_is_us() -> None:
    holder = f.OrganisationFactory(name="ОФ «Казахстанский дом»")
    m.OrganisationIdentifier.objects.create(organisation=holder, scheme="KZ-BIN", identifier="123456789012")
    data = registration(
        **{
            "org-ogrn": "",
            "org-inn": "",
            "ident-TOTAL_FORMS": "1",
            "ident-0-scheme": "kz-bin",
            "ident-0-identifier": "123456789012",
            "ident-0-country": "KZ",
            "confirm_not_duplicate": "1",
        }
    )
    response = people.pages_as(people.user("anna")).post(REGISTER, data)
    page = page_text(response)
    assert response.status_code == 400
    assert str(services.DUPLICATE_IDENTIFIER) in page
    assert "ОФ «Казахстанский дом»" in page and f"/partner/claim/{holder.slug}/" in page
    assert list(m.Organisation.objects.all()) == [holder]


@pytest.mark.usefixtures("taxonomy")
def test_a_listing_nobody_could_find_is_refused() -> None:
    client = people.pages_as(people.user("anna"))
    data = registration(**{"loc-0-DELETE": "on", "svc-0-formats": ["in_person"]})
    response = client.post(REGISTER, data)
    assert response.status_code == 400
    assert "People must be able to find you" in page_text(response)
    assert not m.Organisation.objects.exists()
    # Online only, no place: fine.
    online = registration(**{"loc-0-DELETE": "on", "svc-0-formats": ["online"], "svc-0-area_kind": "anywhere"})
    assert client.post(REGISTER, online).status_code == 302
    org = m.Organisation.objects.get()
    assert not org.locations.exists() and org.services.get().area_kind == "anywhere"


@pytest.mark.usefixtures("taxonomy")
def test_add_another_place_keeps_everything_typed() -> None:
    client = people.pages_as(people.user("anna"))
    response = client.post(REGISTER, registration(add="loc"))
    page = page_text(response)
    assert response.status_code == 200
    assert 'name="loc-TOTAL_FORMS" value="2"' in page
    assert 'name="loc-1-address"' in page and "Place 2" in page
    assert 'value="АНО «Светлый дом»"' in page and 'value="57.8136"' in page
    assert not m.Organisation.objects.exists()
    # Two places, the service at the second only.
    two = registration(
        **{
            "loc-TOTAL_FORMS": "2",
            "loc-1-city": "Великие Луки",
            "loc-1-country": "RU",
            "loc-1-lat": "56.34",
            "loc-1-lon": "30.52",
            "loc-1-visibility": "exact",
            "svc-0-locations": ["1"],
        }
    )
    assert client.post(REGISTER, two).status_code == 302
    service = m.Service.objects.get()
    assert [loc.city for loc in service.locations.all()] == ["Великие Луки"]


# --- duplicates and claims ---------------------------------------------------------------------


@pytest.mark.usefixtures("taxonomy")
def test_same_registry_number_shows_the_listing_and_this_is_us(moderator, mailoutbox) -> None:
    existing = f.OrganisationFactory(located=False, name="АНО «Светлый дом»", ogrn=OGRN, slug="svetlyy-dom")
    f.LocationFactory(organisation=existing, point=Point(28.35, 57.81, srid=4326))
    anna = people.user("anna")
    client = people.pages_as(anna)
    # Even "it's different" cannot make a second listing with the same ОГРН.
    response = client.post(REGISTER, registration(confirm_not_duplicate="1"))
    page = page_text(response)
    assert response.status_code == 400
    assert "Is your organisation already listed?" in page
    assert "/partner/claim/svetlyy-dom/" in page and "This is us — ask to manage it" in page
    assert "No, ours is a different organisation" not in page
    assert 'value="ул. Примерная, 1"' in page  # the form is kept
    assert m.Organisation.objects.count() == 1

    assert "“АНО «Светлый дом»” is us" in page_text(client.get("/partner/claim/svetlyy-dom/"))
    response = client.post("/partner/claim/svetlyy-dom/", {"message": "Я директор, +7 900 000-00-00"})
    assert response.status_code == 302
    claim = m.Claim.objects.get()
    assert claim.requested_by == anna and claim.status == "pending"

    queue = page_text(people.pages_as(moderator).get(QUEUE))
    assert "Я директор" in queue and "anna@example.org" in queue
    response = people.pages_as(moderator).post(f"/partner/moderation/claims/{claim.pk}/", {"approve": "1"})
    assert response.status_code == 302
    assert m.OrganisationAccess.objects.filter(organisation=existing, user=anna).exists()
    assert mailoutbox[-1].to == ["anna@example.org"]
    assert existing.name in page_text(client.get("/partner/"))


@pytest.mark.usefixtures("taxonomy")
def test_a_similar_name_nearby_can_be_declared_different() -> None:
    existing = f.OrganisationFactory(located=False, name="АНО «Светлый дом»")
    f.LocationFactory(organisation=existing, point=Point(28.35, 57.81, srid=4326))
    client = people.pages_as(people.user("anna"))
    data = registration(**{"org-name": "АНО Светлый дом", "org-ogrn": "", "org-inn": ""})
    response = client.post(REGISTER, data)
    page = page_text(response)
    assert response.status_code == 400
    assert "similarly named organisation is listed nearby" in page
    assert 'name="confirm_not_duplicate" value="1"' in page
    assert m.Organisation.objects.count() == 1
    response = client.post(REGISTER, {**data, "confirm_not_duplicate": "1"})
    assert response.status_code == 302
    assert m.Organisation.objects.count() == 2


# --- who may see and do what -------------------------------------------------------------------


def test_pages_need_a_signed_in_user() -> None:
    org = f.OrganisationFactory(slug="org")
    for url in ("/partner/", REGISTER, "/partner/o/org/", "/partner/o/org/edit/", QUEUE):
        response = people.pages_as().get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/?next="), url
    assert people.pages_as().post("/partner/o/org/confirm/").status_code == 302
    org.refresh_from_db()
    assert org.last_verified_at is None


def test_another_partner_cannot_see_or_change_the_listing(taxonomy) -> None:
    owner, stranger = people.user("owner"), people.user("stranger")
    org = f.OrganisationFactory(located=False, slug="org", name="Своё", status="pending")
    location = f.LocationFactory(organisation=org)
    service = f.ServiceFactory(organisation=org, categories=[taxonomy["category"]])
    m.OrganisationAccess.objects.create(organisation=org, user=owner)
    client = people.pages_as(stranger)
    for url in (
        "/partner/o/org/",
        "/partner/o/org/edit/",
        f"/partner/o/org/locations/{location.pk}/",
        f"/partner/o/org/services/{service.pk}/",
        "/partner/o/org/services/new/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/partner/o/org/edit/", {"org-name": "Чужое"}).status_code == 404
    assert client.post("/partner/o/org/restore/", {"history_id": "1"}).status_code == 404
    assert client.post("/partner/o/org/confirm/").status_code == 404
    org.refresh_from_db()
    assert org.name == "Своё"
    assert "Своё" not in page_text(client.get("/partner/"))
    # Not a moderator or coordinator: no queue.
    assert client.get(QUEUE).status_code == 403
    assert client.post("/partner/moderation/organisations/org/", {"status": "published"}).status_code == 403
    # A coordinator of the coalition it applied to may look, not edit.
    m.Membership.objects.create(organisation=org, network=taxonomy["stop_sed"], role="participant", status="applied")
    coordinator = people.pages_as(make_coordinator(taxonomy["stop_sed"]))
    assert coordinator.get("/partner/o/org/").status_code == 200
    assert coordinator.get("/partner/o/org/edit/").status_code == 403

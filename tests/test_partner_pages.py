"""The partner pages end to end through Django's test client: sign-up,
registration, duplicates and claims, edits that go live or wait, the
moderation queue, history, and who may see what."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.test import Client

from frontend.partner.forms.services import ServiceForm
from frontend.partner.service_errors import attach_service_errors
from orgs import models as m
from orgs import services
from orgs.validators import OGRN_CHECKSUM
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db

OGRN = "1027700132195"
INN = "7707083893"


@pytest.fixture
def taxonomy() -> dict[str, Any]:
    return {
        "category": f.CategoryFactory(slug="psychological-help", name_en="Psychological help"),
        "target": f.TargetGroupFactory(slug="children-survivors"),
        "stop_sed": f.NetworkFactory(slug="stop-sed", name="СТОП СЭН", roles=["participant"]),
        "alliance": f.NetworkFactory(slug="alliance", name="Альянс", roles=["member", "candidate", "partner"]),
    }


def _coordinator(network: m.Network, name: str = "coord") -> User:
    user = people.user(name)
    m.NetworkCoordinator.objects.create(network=network, user=user)
    return user


def registration(**overrides: Any) -> dict[str, Any]:
    """What the registration page posts, with one place, one service and an
    application to STOP SED."""
    data: dict[str, Any] = {
        "org-name": "АНО «Светлый дом»",
        "org-legal_form": "ano",
        "org-country": "RU",
        "org-ogrn": OGRN,
        "org-inn": INN,
        "org-website": "https://svetly-dom.example",
        "org-email": "info@svetly-dom.example",
        "org-social_links": "",
        "org-description": "Психологическая помощь детям, пережившим насилие.",
        "ident-TOTAL_FORMS": "0",
        "ident-INITIAL_FORMS": "0",
        "loc-TOTAL_FORMS": "1",
        "loc-INITIAL_FORMS": "0",
        "loc-0-city": "Псков",
        "loc-0-address": "ул. Примерная, 1",
        "loc-0-country": "RU",
        "loc-0-lat": "57.8136",
        "loc-0-lon": "28.3496",
        "loc-0-visibility": "approximate",
        "loc-0-phone": "+7 8112 00-00-00",
        "loc-0-languages": ["ru"],
        "loc-0-hours_0_opens": "09:00",
        "loc-0-hours_0_closes": "18:00",
        "svc-TOTAL_FORMS": "1",
        "svc-INITIAL_FORMS": "0",
        "svc-0-name": "Консультация психолога",
        "svc-0-categories": ["psychological-help"],
        "svc-0-target_groups": ["children-survivors"],
        "svc-0-formats": ["in_person", "online"],
        "svc-0-is_free": "true",
        "svc-0-area_kind": "locations",
        "svc-0-locations": ["0"],
        "net-net_stop-sed": "participant",
        "net-net_alliance": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


REGISTER = "/partner/register/"
QUEUE = "/partner/moderation/"


def _page(response: Any) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


AGES_ORDER = "The upper age must not be below the lower age."


def _field_errors(page: str, field: str) -> list[str]:
    """The messages shown under one input (Django names its error list after the input's id)."""
    found = re.search(rf'<ul class="errorlist" id="id_{re.escape(field)}_error">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


def _link(body: str) -> str:
    url = re.search(r"https?://\S+", body)
    assert url is not None
    return re.sub(r"^https?://[^/]+", "", url.group(0))


# --- the whole path ------------------------------------------------------------------------


@pytest.mark.usefixtures("taxonomy")
def test_sign_up_register_moderate_publish(mailoutbox, taxonomy) -> None:
    client = people.pages_as()
    # Sign up, confirm the address from the e-mail, sign in.
    client.post(
        "/accounts/signup/", {"email": "anna@example.org", "password1": people.PASSWORD, "password2": people.PASSWORD}
    )
    client.get(_link(mailoutbox[-1].body))
    response = client.post("/accounts/login/", {"username": "anna@example.org", "password": people.PASSWORD})
    assert response.status_code == 302 and response.url == "/partner/"
    assert "You do not manage any organisation yet" in _page(client.get("/partner/"))

    # The registration page has a map to pick the point and the explanations of visibility.
    form_page = _page(client.get(REGISTER))
    assert "data-point-picker" in form_page and 'name="loc-0-lat"' in form_page
    assert "vendor/leaflet/1.9.4/leaflet.js" in form_page and "frontend/partner.js" in form_page
    assert "The public sees a point 1–2 km away from the real place" in form_page

    response = client.post(REGISTER, registration())
    assert response.status_code == 302, _page(response)
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
    assert "Waiting for a moderator" in _page(client.get(response.url))

    # Pending: not public.
    assert client.get(f"/o/{org.slug}/").status_code == 404
    assert people.pages_as().get(f"/api/v1/organisations/{org.slug}").status_code == 404

    # The coordinator of STOP SED sees it; the coordinator of another coalition does not.
    other = _coordinator(taxonomy["alliance"], "other-coord")
    assert org.name not in _page(people.pages_as(other).get(QUEUE))
    refused = people.pages_as(other).post(f"/partner/moderation/organisations/{org.slug}/", {"status": "published"})
    assert refused.status_code == 404  # a pending listing of another coalition: not theirs to see
    coordinator = _coordinator(taxonomy["stop_sed"])
    queue = _page(people.pages_as(coordinator).get(QUEUE))
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
    assert response.status_code == 302, _page(response)
    location = m.Location.objects.get()
    assert location.place == pskov and location.visibility == "city"
    assert (location.point.x, location.point.y) == (28.33, 57.82)
    # With "exact" visibility a town is not enough: the public would see its centre as the address.
    m.Organisation.objects.all().delete()
    exact = {"loc-0-lat": "", "loc-0-lon": "", "loc-0-visibility": "exact", "org-ogrn": "", "org-inn": ""}
    refused = client.post(REGISTER, registration(**exact))
    assert refused.status_code == 400
    assert "mark the place on the map" in _page(refused)
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
    page = _page(response)
    assert response.status_code == 400
    # Every message at once, each beside its input ...
    assert str(OGRN_CHECKSUM) in page
    assert "Enter a valid URL" in page
    assert "less than or equal to 90" in page
    assert "Give both the opening and the closing time" in page
    assert "Choose at least one kind of help" in page
    # The ages' order is Service.clean's rule, shown with the form's own messages, on "To age".
    assert _field_errors(page, "svc-0-max_age") == [AGES_ORDER]
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
    page = _page(response)
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
    page = _page(response)
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
    assert "People must be able to find you" in _page(response)
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
    page = _page(response)
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
    page = _page(response)
    assert response.status_code == 400
    assert "Is your organisation already listed?" in page
    assert "/partner/claim/svetlyy-dom/" in page and "This is us — ask to manage it" in page
    assert "No, ours is a different organisation" not in page
    assert 'value="ул. Примерная, 1"' in page  # the form is kept
    assert m.Organisation.objects.count() == 1

    assert "“АНО «Светлый дом»” is us" in _page(client.get("/partner/claim/svetlyy-dom/"))
    response = client.post("/partner/claim/svetlyy-dom/", {"message": "Я директор, +7 900 000-00-00"})
    assert response.status_code == 302
    claim = m.Claim.objects.get()
    assert claim.requested_by == anna and claim.status == "pending"

    queue = _page(people.pages_as(moderator).get(QUEUE))
    assert "Я директор" in queue and "anna@example.org" in queue
    response = people.pages_as(moderator).post(f"/partner/moderation/claims/{claim.pk}/", {"approve": "1"})
    assert response.status_code == 302
    assert m.OrganisationAccess.objects.filter(organisation=existing, user=anna).exists()
    assert mailoutbox[-1].to == ["anna@example.org"]
    assert existing.name in _page(client.get("/partner/"))


@pytest.mark.usefixtures("taxonomy")
def test_a_similar_name_nearby_can_be_declared_different() -> None:
    existing = f.OrganisationFactory(located=False, name="АНО «Светлый дом»")
    f.LocationFactory(organisation=existing, point=Point(28.35, 57.81, srid=4326))
    client = people.pages_as(people.user("anna"))
    data = registration(**{"org-name": "АНО Светлый дом", "org-ogrn": "", "org-inn": ""})
    response = client.post(REGISTER, data)
    page = _page(response)
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
    assert "Своё" not in _page(client.get("/partner/"))
    # Not a moderator or coordinator: no queue.
    assert client.get(QUEUE).status_code == 403
    assert client.post("/partner/moderation/organisations/org/", {"status": "published"}).status_code == 403
    # A coordinator of the coalition it applied to may look, not edit.
    m.Membership.objects.create(organisation=org, network=taxonomy["stop_sed"], role="participant", status="applied")
    coordinator = people.pages_as(_coordinator(taxonomy["stop_sed"]))
    assert coordinator.get("/partner/o/org/").status_code == 200
    assert coordinator.get("/partner/o/org/edit/").status_code == 403


# --- edits -----------------------------------------------------------------------------------


def test_owner_edits_go_live_or_wait_for_approval(moderator, mailoutbox) -> None:
    owner = people.user("owner")
    org = people.owned(owner, name="Старое имя", with_place=False)
    client = people.pages_as(owner)
    page = _page(client.get("/partner/o/org/edit/"))
    assert 'value="Старое имя"' in page
    response = client.post("/partner/o/org/edit/", people.org_form(org, name="Новое имя", description="Новое описание"))
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.description == "Новое описание" and org.name == "Старое имя"
    manage = _page(client.get("/partner/o/org/"))
    assert "Waiting for approval" in manage and "Старое имя" in manage and "Новое имя" in manage
    # Bad input keeps what was typed.
    bad = client.post("/partner/o/org/edit/", people.org_form(org, inn="7707083894", description="Третье"))
    assert bad.status_code == 400
    assert "wrong check digit" in _page(bad) and "Третье" in _page(bad)

    queue = _page(people.pages_as(moderator).get(QUEUE))
    assert "Changes to published listings (1)" in queue
    assert '<td class="old">Старое имя</td>' in queue and '<td class="new">Новое имя</td>' in queue
    cr = m.ChangeRequest.objects.get()
    # Rejecting needs a reason: refused, the queue comes back with the message.
    refused = people.pages_as(moderator).post(f"/partner/moderation/change-requests/{cr.pk}/", {"approve": "0"})
    assert refused.status_code == 400 and "Give the reason" in _page(refused)
    approved = people.pages_as(moderator).post(f"/partner/moderation/change-requests/{cr.pk}/", {"approve": "1"})
    assert approved.status_code == 302
    org.refresh_from_db()
    assert org.name == "Новое имя"
    assert mailoutbox[-1].to == ["owner@example.org"]


def _location_form(location: m.Location, **changes: str) -> dict[str, str]:
    data = {
        "loc-name": location.name,
        "loc-city": location.city,
        "loc-address": location.address,
        "loc-region": location.region,
        "loc-country": location.country,
        "loc-lat": str(location.point.y),
        "loc-lon": str(location.point.x),
        "loc-visibility": location.visibility,
        "loc-timezone": location.timezone,
        "loc-phone": location.phone,
    }
    return {**data, **{f"loc-{k}": v for k, v in changes.items()}}


def test_moving_a_place_waits_while_its_hours_go_live(moderator) -> None:
    owner = people.user("owner")
    org = people.owned(owner, name="Старое имя", with_place=False)
    location = org.locations.get()
    client = people.pages_as(owner)
    url = f"/partner/o/org/locations/{location.pk}/"
    page = _page(client.get(url))
    assert 'value="57.82"' in page and "data-point-picker" in page
    response = client.post(
        url,
        _location_form(location, lat="57.9", lon="28.4", phone="+7 900", hours_2_opens="10:00", hours_2_closes="17:00"),
    )
    assert response.status_code == 302, _page(response)
    location.refresh_from_db()
    assert (location.point.y, location.point.x) == (57.82, 28.33)  # waits
    assert location.phone == "+7 900"  # live
    assert [(h.weekday, h.opens.hour) for h in location.hours.all()] == [(2, 10)]
    cr = m.ChangeRequest.objects.get()
    assert cr.changes == {"point": {"old": {"lat": 57.82, "lon": 28.33}, "new": {"lat": 57.9, "lon": 28.4}}}
    queue = _page(people.pages_as(moderator).get(QUEUE))
    assert "57.820000, 28.330000" in queue and "57.900000, 28.400000" in queue
    # A point out of range is refused beside the map, nothing changes.
    bad = client.post(url, _location_form(location, lat="91"))
    assert bad.status_code == 400 and "less than or equal to 90" in _page(bad)
    assert m.ChangeRequest.objects.count() == 1


def test_services_are_added_and_edited_live(taxonomy) -> None:
    owner = people.user("owner")
    org = people.owned(owner, name="Старое имя", with_place=False)
    location = org.locations.get()
    town = f.PlaceFactory(name="Pskov", name_ru="Псков")
    client = people.pages_as(owner)
    data = {
        "svc-name": "Телефон доверия",
        "svc-categories": ["psychological-help"],
        "svc-formats": ["phone"],
        "svc-is_free": "true",
        "svc-area_kind": "city",
        "svc-area_place": str(town.pk),
        "svc-area_town": "Псков",
    }
    response = client.post("/partner/o/org/services/new/", data)
    assert response.status_code == 302, _page(response)
    service = m.Service.objects.get()
    assert service.area_place == town and service.formats == ["phone"]
    assert not service.locations.exists()
    # An area kind without its area is refused with a message that says what to give.
    bad = client.post(f"/partner/o/org/services/{service.pk}/", {**data, "svc-area_kind": "radius"})
    assert bad.status_code == 400 and "Give the radius in kilometres" in _page(bad)
    edit_page = _page(client.get(f"/partner/o/org/services/{service.pk}/"))
    assert 'value="Телефон доверия"' in edit_page
    response = client.post(
        f"/partner/o/org/services/{service.pk}/",
        {
            **data,
            "svc-name": "Кризисная линия",
            "svc-area_kind": "country",
            "svc-area_country": "RU",
            "svc-locations": ["0"],
        },
    )
    assert response.status_code == 302, _page(response)
    service.refresh_from_db()
    assert service.name == "Кризисная линия" and service.area_kind == "country" and service.area_place is None
    assert list(service.locations.all()) == [location]


@pytest.mark.parametrize(
    ("area", "field", "message"),
    [
        ({"svc-area_kind": "country"}, "svc-area_country", "Give the country as a two-letter code, e.g. RU."),
        (
            {"svc-area_kind": "city", "svc-area_town": "Нигдеград"},
            "svc-area_town",
            "Choose the town the service covers.",
        ),
        (
            {"svc-area_kind": "region", "svc-area_town": "Без региона"},
            "svc-area_town",
            "Give the region as country.code, e.g. RU.48 — or choose it from the list.",
        ),
        (
            {"svc-area_kind": "radius"},
            "svc-area_radius_km",
            "Give the radius in kilometres around the service's places.",
        ),
        ({"svc-min_age": "18", "svc-max_age": "7"}, "svc-max_age", AGES_ORDER),
    ],
)
@pytest.mark.usefixtures("taxonomy")
def test_the_models_rules_for_a_service_are_shown_beside_the_input_to_fix(
    area: dict[str, str], field: str, message: str
) -> None:
    """The ages and the area are checked by Service.clean alone; the service
    page shows its message on the input the partner must change."""
    owner = people.user("owner")
    people.owned(owner)
    f.PlaceFactory(name="Bez regiona", name_ru="Без региона", admin1_code="")
    data = {
        "svc-name": "Телефон доверия",
        "svc-categories": ["psychological-help"],
        "svc-formats": ["phone"],
        "svc-is_free": "true",
        "svc-area_kind": "anywhere",
        **area,
    }
    response = people.pages_as(owner).post("/partner/o/org/services/new/", data)
    assert response.status_code == 400
    assert _field_errors(_page(response), field) == [message]
    assert not m.Service.objects.exists()


def test_a_service_error_named_after_a_model_column_goes_on_the_input_shown(taxonomy) -> None:
    """``area_place`` is a hidden input on the page: a service's message about it
    goes under the town's input, where the partner reads it."""
    form = ServiceForm(
        {
            "svc-name": "Телефон доверия",
            "svc-categories": ["psychological-help"],
            "svc-formats": ["phone"],
            "svc-is_free": "true",
            "svc-area_kind": "anywhere",
        },
        prefix="svc",
    )
    assert form.is_valid(), form.errors
    refused = ValidationError({"area_place": ["Unknown town; choose one from the list."], "__all__": ["Other."]})
    assert attach_service_errors(refused, main=form) == ["Other."]
    assert form.errors == {"area_town": ["Unknown town; choose one from the list."]}


def test_still_accurate_from_the_dashboard_and_from_the_emailed_link(mailoutbox) -> None:
    owner = people.user("owner")
    org = people.owned(owner, name="Старое имя", with_place=False, last_verified_at="2024-01-01", is_stale=True)
    client = people.pages_as(owner)
    dashboard = _page(client.get("/partner/"))
    assert "Marked as not verified" in dashboard and "Confirm it is still accurate" in dashboard
    assert client.post("/partner/o/org/confirm/", {"next": "dashboard"}).url == "/partner/"
    org.refresh_from_db()
    assert not org.is_stale and org.last_verified_at.year > 2024

    # The reminder e-mail's link: opening it asks; only the button confirms.
    m.Organisation.objects.filter(pk=org.pk).update(last_verified_at="2024-01-01")
    link = f"/verify/org/?token={services.verify_token(org)}"
    anonymous = people.pages_as()
    page = _page(anonymous.get(link))
    assert "Is “Старое имя” still accurate?" in page
    org.refresh_from_db()
    assert org.last_verified_at.year == 2024
    token = link.split("token=")[1]
    assert anonymous.post("/verify/org/", {"token": token}).status_code == 200
    org.refresh_from_db()
    assert org.last_verified_at.year > 2024
    assert anonymous.post("/verify/org/", {"token": token + "x"}).status_code == 403


def test_history_is_shown_and_a_version_restored() -> None:
    owner = people.user("owner")
    org = people.owned(owner, name="Старое имя", with_place=False, status="draft", description="Первая версия")
    client = people.pages_as(owner)
    client.post("/partner/o/org/edit/", people.org_form(org, description="Вторая версия"))
    org.refresh_from_db()
    assert org.description == "Вторая версия"
    page = _page(client.get("/partner/o/org/"))
    assert "History of changes" in page and "owner@example.org" in page and "Restore this version" in page
    first = org.history.order_by("history_date").first()
    response = client.post("/partner/o/org/restore/", {"history_id": str(first.history_id)})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.description == "Первая версия"
    bad = client.post("/partner/o/org/restore/", {"history_id": "not a number"}, follow=True)
    assert "That version does not belong to this organisation" in _page(bad)


# --- moderation ----------------------------------------------------------------------------------


def test_rejecting_needs_a_reason_and_keeps_it_typed(moderator, mailoutbox) -> None:
    owner = people.user("owner")
    org = people.owned(owner, name="Старое имя", with_place=False, status="pending")
    f.LocationFactory(organisation=org)
    client = people.pages_as(moderator)
    refused = client.post("/partner/moderation/organisations/org/", {"status": "rejected", "reason": "  "})
    assert refused.status_code == 400
    assert "Give the reason" in _page(refused)
    assert org.name in _page(refused)  # the queue is shown again
    response = client.post("/partner/moderation/organisations/org/", {"status": "rejected", "reason": "Нет данных"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.status == "rejected"
    assert "Нет данных" in mailoutbox[-1].body and mailoutbox[-1].to == ["owner@example.org"]
    assert "Нет данных" in _page(people.pages_as(owner).get("/partner/"))


def test_a_moderator_suspends_a_listing_from_its_page(moderator, mailoutbox) -> None:
    owner = people.user("owner")
    org = people.owned(owner, name="Старое имя", with_place=False)
    client = people.pages_as(moderator)
    assert "Suspend: remove from the directory" in _page(client.get("/partner/o/org/"))
    # The owner does not get the moderator's buttons.
    assert "Suspend: remove from the directory" not in _page(people.pages_as(owner).get("/partner/o/org/"))
    page = _page(
        client.post(
            "/partner/moderation/organisations/org/", {"status": "suspended", "next": "organisation"}, follow=True
        )
    )
    assert "Give the reason" in page
    org.refresh_from_db()
    assert org.status == "published"
    data = {"status": "suspended", "reason": "Жалобы", "next": "organisation"}
    response = client.post("/partner/moderation/organisations/org/", data)
    assert response.status_code == 302 and response.url == "/partner/o/org/"
    org.refresh_from_db()
    assert org.status == "suspended"
    assert people.pages_as().get("/o/org/").status_code == 404
    assert people.pages_as().get("/api/v1/organisations/org").status_code == 404
    assert "Жалобы" in mailoutbox[-1].body


# The rule is a deferred trigger, checked when the service's transaction commits:
# only a test that really commits sees it.
@pytest.mark.django_db(transaction=True)
def test_publishing_a_listing_nobody_could_find_is_explained_not_a_crash(moderator) -> None:
    owner = people.user("owner")
    org = people.owned(owner, name="Старое имя", with_place=False, status="pending")  # no place, no service
    response = people.pages_as(moderator).post("/partner/moderation/organisations/org/", {"status": "published"})
    assert response.status_code == 400
    assert "needs at least one place" in _page(response)
    org.refresh_from_db()
    assert org.status == "pending"


def test_coalition_applications_are_decided_by_its_coordinator_only(taxonomy, mailoutbox) -> None:
    alliance = taxonomy["alliance"]
    alliance.min_recommendations, alliance.candidate_term_days = 2, 365
    alliance.save()
    owner = people.user("owner")
    org = people.owned(owner, name="Старое имя", with_place=False)
    client = people.pages_as(owner)
    client.post("/partner/o/org/apply/", {"net-net_alliance": "member"})
    ms = m.Membership.objects.get(organisation=org)
    assert (ms.network, ms.role, ms.status) == (alliance, "member", "applied")

    other = people.pages_as(_coordinator(taxonomy["stop_sed"], "other"))
    assert "Applications to coalitions (0)" in _page(other.get(QUEUE))
    # Another coalition's application: not theirs to see.
    assert other.post(f"/partner/moderation/memberships/{ms.pk}/", {"decision": "accept"}).status_code == 404

    coordinator = people.pages_as(_coordinator(alliance))
    queue = _page(coordinator.get(QUEUE))
    assert "Applications to coalitions (1)" in queue and "Accept as a candidate for 365 days" in queue
    refused = coordinator.post(f"/partner/moderation/memberships/{ms.pk}/", {"decision": "accept"})
    assert refused.status_code == 400 and "this application has 0" in _page(refused)
    response = coordinator.post(f"/partner/moderation/memberships/{ms.pk}/", {"decision": "accept_as_candidate"})
    assert response.status_code == 302
    ms.refresh_from_db()
    assert (ms.role, ms.status) == ("candidate", "active")
    assert mailoutbox[-1].to == ["owner@example.org"]


def test_members_recommend_applicants_from_their_page(taxonomy) -> None:
    alliance = taxonomy["alliance"]
    member_user = people.user("member")
    member = f.OrganisationFactory(name="Член альянса")
    f.MembershipFactory(organisation=member, network=alliance, role="member")
    m.OrganisationAccess.objects.create(organisation=member, user=member_user)
    applicant = f.OrganisationFactory(name="Заявитель")
    ms = m.Membership.objects.create(organisation=applicant, network=alliance, role="member", status="applied")
    client = people.pages_as(member_user)
    assert "Applications to your coalitions that you can recommend" in _page(client.get("/partner/"))
    page = _page(client.get("/partner/recommend/"))
    assert "Заявитель" in page
    response = client.post("/partner/recommend/", {"membership": ms.pk, "recommender": member.slug})
    assert response.status_code == 302
    assert ms.recommendations.get().recommender == member
    assert "You have recommended it" in _page(client.get("/partner/recommend/"))


@pytest.mark.usefixtures("taxonomy")
@pytest.mark.usefixtures("russian_default")
@pytest.mark.usefixtures("russian_default")
def test_every_page_renders_in_the_default_language(moderator) -> None:
    org = people.owned(moderator, name="Старое имя", with_place=False)
    client = Client()  # no Accept-Language: Russian, the site's first language
    for url in ("/accounts/login/", "/accounts/signup/", "/accounts/password-reset/"):
        response = client.get(url)
        assert response.status_code == 200 and '<html lang="ru">' in _page(response), url
    client.force_login(moderator)
    location = org.locations.get()
    for url in (
        "/partner/",
        REGISTER,
        QUEUE,
        "/partner/o/org/",
        "/partner/o/org/edit/",
        f"/partner/o/org/locations/{location.pk}/",
        f"/partner/o/org/locations/{location.pk}/remove/",
        "/partner/o/org/locations/new/",
        "/partner/o/org/editors/",
        "/partner/o/org/services/new/",
        "/partner/recommend/",
    ):
        response = client.get(url)
        assert response.status_code == 200 and '<html lang="ru">' in _page(response), url

"""The partner pages: edits that go live or wait for approval, places and
their hours, services and the model's rules shown beside the input, "still
accurate", history and restore."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from frontend.partner.forms.services import ServiceForm
from frontend.partner.service_errors import attach_service_errors
from orgs import models as m
from orgs import services
from tests import factories as f
from tests import people
from tests.partner_pages import (
    AGES_ORDER,
    QUEUE,
    field_errors,
    make_taxonomy,
    page_text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxonomy() -> dict[str, Any]:
    return make_taxonomy()


# --- edits -----------------------------------------------------------------------------------


def test_owner_edits_go_live_or_wait_for_approval(moderator, mailoutbox) -> None:
    owner = people.user("owner")
    org = people.owned(owner, name="Старое имя", with_place=False)
    client = people.pages_as(owner)
    page = page_text(client.get("/partner/o/org/edit/"))
    assert 'value="Старое имя"' in page
    response = client.post("/partner/o/org/edit/", people.org_form(org, name="Новое имя", description="Новое описание"))
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.description == "Новое описание" and org.name == "Старое имя"
    manage = page_text(client.get("/partner/o/org/"))
    assert "Waiting for approval" in manage and "Старое имя" in manage and "Новое имя" in manage
    # Bad input keeps what was typed.
    bad = client.post("/partner/o/org/edit/", people.org_form(org, inn="7707083894", description="Третье"))
    assert bad.status_code == 400
    assert "wrong check digit" in page_text(bad) and "Третье" in page_text(bad)

    queue = page_text(people.pages_as(moderator).get(QUEUE))
    assert "Changes to published listings (1)" in queue
    assert '<td class="old">Старое имя</td>' in queue and '<td class="new">Новое имя</td>' in queue
    cr = m.ChangeRequest.objects.get()
    # Rejecting needs a reason: refused, the queue comes back with the message.
    refused = people.pages_as(moderator).post(f"/partner/moderation/change-requests/{cr.pk}/", {"approve": "0"})
    assert refused.status_code == 400 and "Give the reason" in page_text(refused)
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
    page = page_text(client.get(url))
    assert 'value="57.82"' in page and "data-point-picker" in page
    response = client.post(
        url,
        _location_form(location, lat="57.9", lon="28.4", phone="+7 900", hours_2_opens="10:00", hours_2_closes="17:00"),
    )
    assert response.status_code == 302, page_text(response)
    location.refresh_from_db()
    assert (location.point.y, location.point.x) == (57.82, 28.33)  # waits
    assert location.phone == "+7 900"  # live
    assert [(h.weekday, h.opens.hour) for h in location.hours.all()] == [(2, 10)]
    cr = m.ChangeRequest.objects.get()
    assert cr.changes == {"point": {"old": {"lat": 57.82, "lon": 28.33}, "new": {"lat": 57.9, "lon": 28.4}}}
    queue = page_text(people.pages_as(moderator).get(QUEUE))
    assert "57.820000, 28.330000" in queue and "57.900000, 28.400000" in queue
    # A point out of range is refused beside the map, nothing changes.
    bad = client.post(url, _location_form(location, lat="91"))
    assert bad.status_code == 400 and "less than or equal to 90" in page_text(bad)
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
    assert response.status_code == 302, page_text(response)
    service = m.Service.objects.get()
    assert service.area_place == town and service.formats == ["phone"]
    assert not service.locations.exists()
    # An area kind without its area is refused with a message that says what to give.
    bad = client.post(f"/partner/o/org/services/{service.pk}/", {**data, "svc-area_kind": "radius"})
    assert bad.status_code == 400 and "Give the radius in kilometres" in page_text(bad)
    edit_page = page_text(client.get(f"/partner/o/org/services/{service.pk}/"))
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
    assert response.status_code == 302, page_text(response)
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
    assert field_errors(page_text(response), field) == [message]
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
    dashboard = page_text(client.get("/partner/"))
    assert "Marked as not verified" in dashboard and "Confirm it is still accurate" in dashboard
    assert client.post("/partner/o/org/confirm/", {"next": "dashboard"}).url == "/partner/"
    org.refresh_from_db()
    assert not org.is_stale and org.last_verified_at.year > 2024

    # The reminder e-mail's link: opening it asks; only the button confirms.
    m.Organisation.objects.filter(pk=org.pk).update(last_verified_at="2024-01-01")
    link = f"/verify/org/?token={services.verify_token(org)}"
    anonymous = people.pages_as()
    page = page_text(anonymous.get(link))
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
    page = page_text(client.get("/partner/o/org/"))
    assert "History of changes" in page and "owner@example.org" in page and "Restore this version" in page
    first = org.history.order_by("history_date").first()
    response = client.post("/partner/o/org/restore/", {"history_id": str(first.history_id)})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.description == "Первая версия"
    bad = client.post("/partner/o/org/restore/", {"history_id": "not a number"}, follow=True)
    assert "That version does not belong to this organisation" in page_text(bad)

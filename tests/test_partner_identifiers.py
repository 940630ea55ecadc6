"""Registry identifiers of other countries (scheme + number): owners add,
change and remove them; for a published listing an owner's change waits for
approval as a change request with the old and new lists, like ОГРН and ИНН."""

from __future__ import annotations

from typing import Any

import pytest

from orgs import models as m
from orgs import services
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db

V1 = "/api/v1"
KZ = {"scheme": "KZ-BIN", "identifier": "123456789012", "country": "KZ"}
UA = {"scheme": "UA-EDR", "identifier": "12345678", "country": "UA"}


def _numbers(org: m.Organisation) -> list[tuple[str, str, str]]:
    return sorted(org.identifiers.values_list("scheme", "identifier", "country"))


def test_a_published_listing_s_identifiers_wait_for_approval_with_old_and_new(owner, moderator) -> None:
    org = people.owned(owner)
    m.OrganisationIdentifier.objects.create(organisation=org, **UA)
    client = people.api_as(owner)
    response = client.patch(
        f"{V1}/partner/organisations/org",
        {"description": "Новое описание", "identifiers": [{**KZ, "scheme": " kz-bin "}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["applied"] is False
    assert body["change_request"]["changes"] == {"identifiers": {"old": [UA], "new": [KZ]}}
    org.refresh_from_db()
    assert org.description == "Новое описание"  # live at once
    assert _numbers(org) == [("UA-EDR", "12345678", "UA")]  # waits
    assert client.get(f"{V1}/partner/organisations/org/identifiers").json() == {"identifiers": [UA]}
    queue = people.api_as(moderator).get(f"{V1}/moderation/queue").json()
    assert queue["change_requests"][0]["changes"]["identifiers"]["new"] == [KZ]
    cr = m.ChangeRequest.objects.get()
    approved = people.api_as(moderator).post(
        f"{V1}/moderation/change-requests/{cr.pk}", {"approve": True}, format="json"
    )
    assert approved.status_code == 200
    assert _numbers(org) == [("KZ-BIN", "123456789012", "KZ")]


def test_a_rejected_identifier_change_changes_nothing(owner, moderator) -> None:
    org = people.owned(owner)
    m.OrganisationIdentifier.objects.create(organisation=org, **UA)
    people.api_as(owner).put(f"{V1}/partner/organisations/org/identifiers", {"identifiers": []}, format="json")
    cr = m.ChangeRequest.objects.get()
    assert cr.changes == {"identifiers": {"old": [UA], "new": []}}
    decided = people.api_as(moderator).post(
        f"{V1}/moderation/change-requests/{cr.pk}", {"approve": False, "reason": "Номер верный"}, format="json"
    )
    assert decided.status_code == 200
    assert _numbers(org) == [("UA-EDR", "12345678", "UA")]


def test_before_publication_and_by_a_moderator_identifiers_change_at_once(owner, moderator) -> None:
    org = people.owned(owner, status="pending")
    client = people.api_as(owner)
    response = client.put(f"{V1}/partner/organisations/org/identifiers", {"identifiers": [KZ, UA]}, format="json")
    assert response.status_code == 200 and response.json()["applied"] is True
    assert _numbers(org) == [("KZ-BIN", "123456789012", "KZ"), ("UA-EDR", "12345678", "UA")]
    # The same list again is no change at all.
    again = client.put(f"{V1}/partner/organisations/org/identifiers", {"identifiers": [UA, KZ]}, format="json")
    assert again.json() == {"applied": True, "change_request": None}
    org.status = m.PublicationStatus.PUBLISHED
    org.save()
    response = people.api_as(moderator).put(
        f"{V1}/partner/organisations/org/identifiers", {"identifiers": [UA]}, format="json"
    )
    assert response.json()["applied"] is True
    assert _numbers(org) == [("UA-EDR", "12345678", "UA")]
    assert not m.ChangeRequest.objects.exists()


@pytest.mark.parametrize("status", ["published", "pending"])
def test_an_identifier_another_listing_holds_is_a_400_and_nothing_is_saved(owner, status) -> None:
    org = people.owned(owner, status=status, description="Старое")
    holder = f.OrganisationFactory(ogrn="1027700132195")
    m.OrganisationIdentifier.objects.create(organisation=holder, **KZ)
    client = people.api_as(owner)
    response = client.patch(
        f"{V1}/partner/organisations/org",
        {"description": "Новое", "identifiers": [UA, {**KZ, "identifier": " 123456789012 ", "country": ""}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"identifiers.1.identifier": [str(services.DUPLICATE_IDENTIFIER)]}
    repeated = client.put(f"{V1}/partner/organisations/org/identifiers", {"identifiers": [UA, UA]}, format="json")
    assert repeated.status_code == 400
    assert repeated.json() == {"identifiers.1.identifier": [str(services.REPEATED_IDENTIFIER)]}
    bad_country = client.put(
        f"{V1}/partner/organisations/org/identifiers", {"identifiers": [{**UA, "country": "Ukraine"}]}, format="json"
    )
    assert bad_country.status_code == 400 and "country" in bad_country.json()["identifiers"]["0"]
    same_ogrn = client.patch(f"{V1}/partner/organisations/org", {"ogrn": "1027700132195"}, format="json")
    assert same_ogrn.status_code == 400
    assert same_ogrn.json() == {"ogrn": [str(services.DUPLICATE_IDENTIFIER)]}
    org.refresh_from_db()
    assert org.description == "Старое" and org.ogrn is None
    assert _numbers(org) == [] and not m.ChangeRequest.objects.exists()


def test_an_identifier_taken_while_waiting_is_refused_at_approval(owner, moderator) -> None:
    org = people.owned(owner)
    people.api_as(owner).put(f"{V1}/partner/organisations/org/identifiers", {"identifiers": [KZ]}, format="json")
    cr = m.ChangeRequest.objects.get()
    m.OrganisationIdentifier.objects.create(organisation=f.OrganisationFactory(), **KZ)
    response = people.api_as(moderator).post(
        f"{V1}/moderation/change-requests/{cr.pk}", {"approve": True}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"identifiers.0.identifier": [str(services.DUPLICATE_IDENTIFIER)]}
    cr.refresh_from_db()
    assert cr.status == m.Decision.PENDING and _numbers(org) == []


# --- the edit page -------------------------------------------------------------------------


def _page(response: Any) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


def _edit_form(org: m.Organisation, rows: list[dict[str, str]], **extra: str) -> dict[str, str]:
    data = {
        **people.org_form(org),
        "ident-TOTAL_FORMS": str(len(rows)),
        "ident-INITIAL_FORMS": str(org.identifiers.count()),
    }
    for i, row in enumerate(rows):
        data.update({f"ident-{i}-{k}": v for k, v in row.items()})
    return {**data, **extra}


def test_the_edit_page_shows_and_changes_every_registry_number(owner, moderator) -> None:
    org = people.owned(owner, ogrn="1027700132195", inn="7707083893")
    m.OrganisationIdentifier.objects.create(organisation=org, **UA)
    client = people.pages_as(owner)
    page = _page(client.get("/partner/o/org/edit/"))
    assert 'value="1027700132195"' in page and 'value="7707083893"' in page
    assert 'name="ident-0-scheme"' in page and 'value="UA-EDR"' in page and 'value="12345678"' in page
    # Add a row: everything typed is kept.
    added = _page(client.post("/partner/o/org/edit/", _edit_form(org, [UA], add="ident", **{"org-description": "X"})))
    assert 'name="ident-1-scheme"' in added and "X</textarea>" in added
    # Remove UA, add KZ: waits for approval (published).
    response = client.post("/partner/o/org/edit/", _edit_form(org, [{**UA, "DELETE": "on"}, KZ]))
    assert response.status_code == 302, _page(response)
    assert _numbers(org) == [("UA-EDR", "12345678", "UA")]
    cr = m.ChangeRequest.objects.get()
    assert cr.changes == {"identifiers": {"old": [UA], "new": [KZ]}}
    manage = _page(client.get("/partner/o/org/"))
    assert "Waiting for approval" in manage and "KZ-BIN 123456789012 (KZ)" in manage
    moderator_client = people.pages_as(moderator)
    queue = _page(moderator_client.get("/partner/moderation/"))
    assert '<td class="old">UA-EDR 12345678 (UA)</td>' in queue
    assert '<td class="new">KZ-BIN 123456789012 (KZ)</td>' in queue
    assert "Registry numbers of other countries" in queue


def test_a_taken_number_is_shown_beside_it_and_keeps_what_was_typed(owner) -> None:
    org = people.owned(owner, status="pending")
    m.OrganisationIdentifier.objects.create(organisation=f.OrganisationFactory(), **KZ)
    client = people.pages_as(owner)
    response = client.post("/partner/o/org/edit/", _edit_form(org, [UA, KZ], **{"org-description": "Новое"}))
    page = _page(response)
    assert response.status_code == 400
    assert str(services.DUPLICATE_IDENTIFIER) in page
    assert 'value="123456789012"' in page and 'value="12345678"' in page and "Новое</textarea>" in page
    org.refresh_from_db()
    assert org.description != "Новое" and _numbers(org) == []

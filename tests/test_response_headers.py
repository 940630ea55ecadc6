"""What browsers and caches may keep, and which browser features the site may use.

Every answer that shows non-public data says ``Cache-Control: no-store``;
public pages may still be cached. Every answer has a Permissions-Policy that
turns off what the site never uses and keeps geolocation for "near me".
The schema answers JSON when asked with ``?format=json``."""

from __future__ import annotations

import json

import pytest

from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.fixture
def world(owner, moderator):
    org = people.owned(owner)
    request = f.PressRequestFactory()
    return {"org": org, "owner": owner, "moderator": moderator, "press": request}


PRIVATE_PAGES = [
    ("owner", "/partner/"),
    ("owner", "/partner/o/org/"),
    ("owner", "/partner/o/org/edit/"),
    ("moderator", "/partner/moderation/"),
    ("moderator", "/press/coordinate/"),
    ("owner", "/press/me/"),
    ("owner", "/press/o/org/experts/"),
    (None, "/accounts/login/"),
    (None, "/accounts/signup/"),
    (None, "/press/"),
    ("moderator", "/admin/"),
    ("owner", "/api/v1/partner/organisations/org/history"),
    ("moderator", "/api/v1/moderation/queue"),
    ("moderator", "/api/v1/press/coordination/requests"),
]


@pytest.mark.parametrize(("who", "path"), PRIVATE_PAGES)
def test_non_public_answers_are_never_stored(world, who, path) -> None:
    account = world[who] if who else None
    if who == "moderator":
        account.is_staff = True
        account.save()
    response = people.pages_as(account).get(path)
    assert response.status_code in (200, 302), (path, response.status_code)
    assert _no_store(response), (path, response.get("Cache-Control"))


def test_a_public_page_seen_signed_in_is_not_stored_either(world) -> None:
    response = people.pages_as(world["owner"]).get("/o/org/")
    assert response.status_code == 200 and _no_store(response)


@pytest.mark.parametrize("path", ["/", "/o/org/", "/api/v1/categories", "/networks/"])
def test_public_answers_to_anonymous_visitors_may_be_cached(world, path) -> None:
    response = people.pages_as().get(path)
    assert response.status_code == 200
    assert not _no_store(response)


@pytest.mark.parametrize("path", ["/", "/partner/", "/api/v1/categories", "/no-such-page/", "/embed/"])
def test_every_answer_has_a_permissions_policy(world, path) -> None:
    policy = people.pages_as().get(path)["Permissions-Policy"]
    directives = dict(d.strip().split("=", 1) for d in policy.split(","))
    assert directives["camera"] == directives["microphone"] == directives["payment"] == "()"
    # The locator's "near me" asks the browser for the position; nothing else may.
    assert directives["geolocation"] == "(self)"


def test_the_schema_answers_json_when_asked(db) -> None:
    response = people.pages_as().get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json") or response[
        "Content-Type"
    ].startswith("application/json")
    assert json.loads(response.content)["openapi"].startswith("3.")

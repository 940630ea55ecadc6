"""Schemathesis fuzzes every operation of the OpenAPI schema served at
/api/schema/, in-process against the WSGI application, with the real PostGIS
test database holding the seed data and the whole gazetteer.

Each operation gets generated cases, valid and invalid (schemathesis' positive
and negative modes), plus the boundary cases of its coverage phase; hypothesis
is derandomized, so every run (and CI) repeats the same cases. Checks: no 5xx,
status codes, content types, headers and bodies as the schema documents them,
invalid input rejected with a 4xx, valid input accepted.

Writes are sent as a signed-in site moderator through a real session cookie
and the CSRF cookie/header pair a browser sends — the path the partner pages
take — rather than through a test-only authentication that would skip the CSRF
check. A case fails the CSRF check only if it is a bug.

Bugs the fuzzer found are kept as plain regression tests at the end.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.auth import SESSION_KEY as SESSION_KEY_FIELD
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.signals import request_finished, request_started
from django.db import OperationalError, close_old_connections, connection, transaction
from django.test import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _
from hypothesis import HealthCheck, settings
from pytest_django import DjangoDbBlocker
from rest_framework.exceptions import NotFound
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.views import APIView
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from api import errors
from api.serializers import WRONG_JSON_TYPE
from frontend import selectors as frontend_selectors
from locator.wsgi import application
from orgs import models as m
from orgs import press, services
from orgs.permissions import MODERATORS_GROUP
from orgs.press import requests as press_requests
from orgs.search import text
from orgs.seed import seed_load
from tests.conftest import emailed_link_token

# Generated cases per operation (valid and invalid); the coverage phase adds its
# boundary cases on top: about 3,000 cases for the 42 operations.
MAX_EXAMPLES = 20
MIN_TOTAL_CASES = 2000
# A fixed 32-character CSRF secret, sent as the cookie and echoed in the header,
# exactly as the partner pages' JavaScript does.
CSRF_TOKEN = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"

# Loaded at collection, before any fixture: the schema view's throttle must
# not reach for the database cache, which collection may not use.
with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

# Cases sent per operation; the last test checks the total.
CASES: Counter[str] = Counter()
# The signed-in moderator's session key: fixed, because schemathesis builds
# some cases (with their auth) when it collects the test, before any fixture runs.
SESSION_KEY = "fuzzsessionfuzzsessionfuzzsessio"
# Real path parameters (slugs and ids of the seeded test database) per path
# template, and real values for body fields that name other objects; filled
# by the module fixture. Every other valid case is aimed at them, so it
# reaches the code behind the lookup, not only the 404.
KNOWN_PATHS: dict[str, list[dict[str, Any]]] = {}
KNOWN_FIELDS: dict[str, list[Any]] = {}
# Real values for the fields (body or query) of one operation, by its path:
# the press API's tokens, which differ from one operation to the next.
KNOWN_OPERATION_FIELDS: dict[str, dict[str, list[Any]]] = {}
PRESS = "/api/v1/press"
BASE_URL = "http://testserver"


@schema.auth(refresh_interval=None)
class SessionAuth:
    """A browser's credentials: the session cookie, the CSRF cookie and the same
    token in the X-CSRFToken header. Given to schemathesis as the auth, so its
    ignored-auth check can take the session away and see the API refuse."""

    def get(self, case: schemathesis.Case, context: Any) -> str:
        return SESSION_KEY

    def set(self, case: schemathesis.Case, data: str, context: Any) -> None:
        case.cookies = {**(case.cookies or {}), "sessionid": data, "csrftoken": CSRF_TOKEN}
        case.headers = {**(case.headers or {}), "X-CSRFToken": CSRF_TOKEN}


def _known_paths(partner_org: m.Organisation) -> dict[str, list[dict[str, Any]]]:
    orgs = list(m.Organisation.objects.values_list("slug", flat=True)[:6])
    locations = list(m.Location.objects.values_list("pk", flat=True)[:6])
    service_pairs = [
        {"slug": slug, "id": pk} for pk, slug in m.Service.objects.values_list("pk", "organisation__slug")[:6]
    ]
    memberships = list(m.Membership.objects.order_by("-pk").values_list("pk", flat=True)[:6])
    change_requests = list(m.ChangeRequest.objects.values_list("pk", flat=True))
    claims = list(m.Claim.objects.values_list("pk", flat=True))
    by_slug = [{"slug": slug} for slug in [*orgs, partner_org.slug]]
    v1 = "/api/v1"
    return {
        f"{v1}/organisations/{{slug}}": by_slug,
        f"{v1}/partner/organisations/{{slug}}": by_slug,
        f"{v1}/partner/organisations/{{slug}}/services": by_slug,
        f"{v1}/partner/organisations/{{slug}}/confirm": by_slug,
        f"{v1}/partner/organisations/{{slug}}/claim": by_slug,
        f"{v1}/partner/organisations/{{slug}}/history": by_slug,
        f"{v1}/partner/organisations/{{slug}}/restore": by_slug,
        f"{v1}/moderation/organisations/{{slug}}": by_slug,
        f"{v1}/partner/organisations/{{slug}}/services/{{id}}": service_pairs,
        f"{v1}/partner/locations/{{id}}": [{"id": pk} for pk in locations],
        f"{v1}/partner/memberships/{{id}}/recommend": [{"id": pk} for pk in memberships],
        f"{v1}/moderation/memberships/{{id}}": [{"id": pk} for pk in memberships],
        f"{v1}/moderation/change-requests/{{id}}": [{"id": pk} for pk in change_requests],
        f"{v1}/moderation/claims/{{id}}": [{"id": pk} for pk in claims],
    }


@pytest.fixture(scope="module")
def fuzz_world(gazetteer: int, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """The seed, a partner's pending work for the moderation endpoints and a
    signed-in moderator, built once for the module inside a transaction that is
    rolled back at its end (each test's own transaction nests in it as a
    savepoint, so no operation sees another's writes)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            _build_world()
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            KNOWN_PATHS.clear()
            KNOWN_FIELDS.clear()
            KNOWN_OPERATION_FIELDS.clear()


def _build_world() -> None:
    seed_load()
    partner = User.objects.create_user("fuzz-partner", "partner@example.org", "a-long-password-1")
    moderator = User.objects.create_user("fuzz-moderator", "moderator@example.org", "a-long-password-1")
    moderator.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
    own = services.organisation_register(
        user=partner,
        data={
            "name": "АНО «Фаззинг»",
            "description": "Проверка.",
            "locations": [{"lat": 57.81, "lon": 28.35, "city": "Псков", "address": "ул. Тестовая, 1"}],
            "services": [
                {"name": "Консультация", "categories": ["psychological-help"], "formats": ["online"], "locations": [0]}
            ],
        },
        confirm_not_duplicate=True,
    )
    services.location_update(user=partner, location=own.locations.get(), changes={"address": "ул. Новая, 2"})
    stellit = m.Organisation.objects.get(slug="stellit")
    services.claim_create(user=partner, organisation=stellit, message="Это мы.")
    services.membership_apply(
        user=partner, organisation=own, network=m.Network.objects.get(slug="stop-sed"), role="participant"
    )
    _sign_in(moderator)
    KNOWN_PATHS.clear()
    KNOWN_PATHS.update(_known_paths(own))
    orgs = [own.slug, *m.Organisation.objects.values_list("slug", flat=True)[:5]]
    KNOWN_FIELDS.clear()
    KNOWN_FIELDS.update(
        organisation=orgs,
        recommender=orgs,
        network=list(m.Network.objects.values_list("slug", flat=True)),
        history_id=list(m.Organisation.history.values_list("history_id", flat=True)[:6]),
        categories=[[slug] for slug in m.Category.objects.values_list("slug", flat=True)[:6]],
        target_groups=[[slug] for slug in m.TargetGroup.objects.values_list("slug", flat=True)[:6]],
    )
    _build_press_world(moderator)


def _build_press_world(moderator: User) -> None:
    """Press requests with real tokens: one waiting for confirmation, one
    confirmed and sent to an expert; experts who may still be asked. Valid
    cases carry these tokens and ids, so they reach the code behind the token
    check (and a request body gets a deadline in the allowed window)."""
    stellit = m.Organisation.objects.get(slug="stellit")
    experts = [
        m.Expert.objects.create(
            organisation=stellit, full_name=f"Эксперт {i}", email=f"expert{i}@fuzz.example", languages=["ru"]
        )
        for i in range(4)
    ]
    deadline = timezone.now() + dt.timedelta(days=3)
    data = {
        "journalist_name": "Мария",
        "outlet": "Лента",
        "topic": "Помощь детям",
        "deadline": deadline,
        "language": "ru",
        "format": m.PressFormat.WRITTEN,
    }
    waiting = press.press_request_create(data={**data, "email": "one@media.example"}, client_ip=None, base_url=BASE_URL)
    created = press.press_request_create(data={**data, "email": "two@media.example"}, client_ip=None, base_url=BASE_URL)
    req, tracking = press.press_request_confirm(token=created.confirm_token, base_url=BASE_URL)
    if not req.invitations.exists():
        press.press_request_send(user=moderator, press_request=req, expert_ids=[experts[0].pk], base_url=BASE_URL)
    invitation = emailed_link_token("/press/answer/")
    still_eligible = [r.expert.pk for r in press.experts_ranked(press_request=req)]
    press_ids = [{"id": req.pk}, {"id": waiting.request.pk}]
    KNOWN_PATHS.update(
        {
            f"{PRESS}/coordination/requests/{{id}}": press_ids,
            f"{PRESS}/coordination/requests/{{id}}/send": press_ids,
            f"{PRESS}/coordination/requests/{{id}}/no-expert": press_ids,
        }
    )
    futures = [(timezone.now() + dt.timedelta(days=d)).isoformat() for d in (1, 2, 7)]
    KNOWN_OPERATION_FIELDS.update(
        {
            f"{PRESS}/requests": {"deadline": futures, "place": ["Псков", "Pskov"], "language": ["ru", "en"]},
            f"{PRESS}/requests/confirm": {"token": [created.confirm_token, waiting.confirm_token]},
            f"{PRESS}/requests/status": {"token": [tracking]},
            f"{PRESS}/requests/withdraw": {"token": [tracking]},
            f"{PRESS}/invitations/answer": {"token": [invitation], "answer": ["accept", "decline"]},
            f"{PRESS}/coordination/requests/{{id}}/send": {"experts": [[pk] for pk in still_eligible]},
        }
    )


@pytest.fixture
def in_process_server(fuzz_world: None, db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The WSGI application as a test drives it: no throttling and no press
    request rate limit (thousands of requests a minute from one client are the
    point), no closing of the
    test's connection between requests (Django's own test client does the
    same), and a server error's traceback printed with the failing case."""
    monkeypatch.setattr(APIView, "get_throttles", lambda self: [])
    monkeypatch.setattr(press_requests, "_rate_check_and_count", lambda **kwargs: None)
    monkeypatch.setattr(api_settings, "EXCEPTION_HANDLER", _printing_exception_handler)
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def _printing_exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    response = errors.exception_handler(exc, context)
    if response is None or response.status_code >= 500:
        traceback.print_exception(exc)
    return response


def _sign_in(user: User) -> None:
    """What a sign-in stores, under the fixed SESSION_KEY."""
    data = {
        SESSION_KEY_FIELD: str(user.pk),
        BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
        HASH_SESSION_KEY: user.get_session_auth_hash(),
    }
    Session.objects.create(
        session_key=SESSION_KEY,
        session_data=SessionStore().encode(data),
        expire_date=timezone.now() + dt.timedelta(hours=1),
    )


def _aim_at_real_objects(case: schemathesis.Case, n: int) -> None:
    """Every other valid case: real slugs and ids in the path and the body."""
    meta = case.meta
    if n % 2 == 0 or meta is None or meta.generation.mode is not GenerationMode.POSITIVE:
        return
    known = KNOWN_PATHS.get(case.operation.path)
    if known and case.path_parameters:
        case.path_parameters = {**case.path_parameters, **known[n // 2 % len(known)]}
    own = KNOWN_OPERATION_FIELDS.get(case.operation.path, {})
    for values_of, container in ((KNOWN_FIELDS | own, case.body), (own, case.query)):
        if isinstance(container, dict):
            for field, values in values_of.items():
                if field in container and values:
                    container[field] = values[n // 2 % len(values)]


def _check_deferred_constraints() -> None:
    """The deferred "a published organisation is findable" trigger fires at
    commit; a test never commits, so fire it now: a write that would fail at
    commit in production would have answered 503, not the 2xx the test saw."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.usefixtures("in_process_server")
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    CASES[case.operation.label] += 1
    _aim_at_real_objects(case, CASES[case.operation.label])
    # Plain bodies: schemathesis's WSGI transport does not undo gzip
    # (compression is tested in tests/test_traces_and_compression.py).
    case.headers = {**(case.headers or {}), "Accept-Encoding": "identity"}
    # Not checked: that every schema-valid request is accepted. A schema cannot
    # say "lat and lon together" or "a slug that exists"; those are 400s by design.
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    if case.method.upper() != "GET" and 200 <= response.status_code < 300:
        _check_deferred_constraints()


def test_at_least_2000_cases_were_generated() -> None:
    operations = sum(1 for _ in schema.get_all_operations())
    if len(CASES) < operations:
        pytest.skip("runs after the whole fuzzing module")
    print(f"\nschemathesis sent {sum(CASES.values())} cases to {len(CASES)} operations")
    assert sum(CASES.values()) >= MIN_TOTAL_CASES, dict(CASES)


# --- what the fuzzer found, kept as plain regression tests ----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/partner/locations/abc", "/api/v1/organisations/%C3%A7%06", "/api/v1/no-such-endpoint"]
)
def test_a_url_that_matches_no_endpoint_is_a_json_404(api: APIClient, path: str) -> None:
    # Found: a path parameter of the wrong shape missed every route and got
    # Django's HTML 404 page; a POST got the HTML CSRF page.
    for response in (api.get(path), api.post(path, {}, format="json")):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": str(NotFound.default_detail)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/nearest?lat=57.8&lon=28.3&k=", "k"),
        ("/api/v1/organisations?target=", "target"),
        ("/api/v1/places?q=pskov&limit=", "limit"),
        ("/api/v1/locations?in_bbox=28,57,29,58&zoom=", "zoom"),
    ],
)
def test_an_empty_query_parameter_is_a_400_naming_it(api: APIClient, path: str, field: str) -> None:
    # Found: DRF reads "k=" as "not given" (an HTML form's empty field) and
    # answered 200 with the default, though the schema says k is an integer.
    response = api.get(path)
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.django_db
def test_a_json_value_of_the_wrong_type_is_a_400_naming_the_field() -> None:
    # Found: {"name": 0} registered an organisation called "0"; DRF turns
    # numbers into text and numeric text into numbers.
    user = User.objects.create_user("typed", "typed@example.org", "a-long-password-1")
    client = APIClient()
    client.force_login(user)
    count = m.Organisation.objects.count()
    response = client.post("/api/v1/partner/organisations", {"name": 0}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": [str(WRONG_JSON_TYPE).format(kind=_("a string"))]}
    response = client.post(
        "/api/v1/partner/organisations",
        {"name": "АНО «Типы»", "locations": [{"lat": "57.8", "lon": 28.3}], "social_links": [1]},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"locations", "social_links"}
    assert m.Organisation.objects.count() == count


@pytest.mark.django_db
def test_a_database_error_answers_a_clean_503(api: APIClient, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The load test stops PostgreSQL for real (scripts/loadtest.py --fault);
    # here the same answer is checked in the suite: JSON from the API, a
    # short page from the site, never Django's 500 or a traceback.
    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(text, "organisations_page", unavailable)
    response = api.get("/api/v1/organisations")
    assert response.status_code == 503
    assert response["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    assert response.json() == {"detail": str(errors.DATABASE_UNAVAILABLE)}

    monkeypatch.setattr(frontend_selectors, "organisation_page", unavailable)
    response = client.get("/o/any/")
    assert response.status_code == 503
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert str(errors.UNAVAILABLE_TITLE) in page
    assert "Traceback" not in page
    assert "OperationalError" not in page


@pytest.mark.django_db
def test_a_press_request_takes_only_json_strings_for_its_text(api: APIClient) -> None:
    # Found by hand while the press API was brought under the full checks (the
    # fuzzer's cases had not hit it): {"journalist_name": 0} was a journalist called "0".
    deadline = (timezone.now() + dt.timedelta(days=2)).isoformat()
    body = {"journalist_name": 0, "outlet": 5, "email": "a@media.example", "topic": "Тема", "deadline": deadline}
    count = m.PressRequest.objects.count()
    response = api.post("/api/v1/press/requests", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"journalist_name", "outlet"}
    assert m.PressRequest.objects.count() == count
    response = api.post("/api/v1/press/requests/confirm", {"token": 12345}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["token"]

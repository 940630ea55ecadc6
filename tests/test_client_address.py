"""Who the client is: one function (locator.middleware.client_ip) for the login
lock-out, the press limit and the API throttles. X-Forwarded-For counts only
behind the proxy (BEHIND_PROXY), and then only its last hop, the one nginx set.
Signed-in users are throttled too, reads and writes apart."""

from __future__ import annotations

from typing import Any

import pytest
from axes.helpers import get_client_ip_address
from django.test import RequestFactory

from api.throttling import AnonThrottle, UserReadThrottle, UserWriteThrottle
from tests import factories as f
from tests import people
from tests.test_press_requests import URL, payload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def taxonomy() -> None:
    f.CategoryFactory(slug="media-comment")


def _press(client: Any, n: int, forwarded: str) -> int:
    return int(
        client.post(
            URL, payload(email=f"j{n}@media.example"), format="json", HTTP_X_FORWARDED_FOR=forwarded
        ).status_code
    )


def test_without_the_proxy_a_forged_forwarded_for_changes_nothing(settings: Any, monkeypatch: Any) -> None:
    settings.BEHIND_PROXY = False
    client = people.api_as()
    answers = [_press(client, n, f"198.51.100.{n}") for n in range(11)]
    assert answers == [201] * 10 + [429]  # 10 per address: the socket's, not the header's
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert get_client_ip_address(request) == "192.0.2.1"
    monkeypatch.setattr(AnonThrottle, "THROTTLE_RATES", {"anon": "2/hour"})
    throttled = [client.get("/api/v1/categories", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(3)]
    assert throttled == [200, 200, 429]


def test_behind_the_proxy_only_the_last_hop_counts(settings: Any, monkeypatch: Any) -> None:
    settings.BEHIND_PROXY = True
    client = people.api_as()
    # A client's own X-Forwarded-For before nginx's hop changes nothing...
    answers = [_press(client, n, f"10.0.0.{n}, 203.0.113.7") for n in range(11)]
    assert answers == [201] * 10 + [429]
    # ...and a new last hop is another client, though the socket is the same.
    assert _press(client, 99, "203.0.113.8") == 201
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.4")
    assert get_client_ip_address(request) == "198.51.100.4"
    monkeypatch.setattr(AnonThrottle, "THROTTLE_RATES", {"anon": "2/hour"})
    hops = ["1.1.1.1, 198.51.100.9", "2.2.2.2, 198.51.100.9", "3.3.3.3, 198.51.100.9"]
    assert [client.get("/api/v1/categories", HTTP_X_FORWARDED_FOR=h).status_code for h in hops] == [200, 200, 429]
    assert client.get("/api/v1/categories", HTTP_X_FORWARDED_FOR="198.51.100.10").status_code == 200


def test_signed_in_users_are_throttled_on_reads_and_writes_apart(monkeypatch: Any) -> None:
    rates = {"anon": "100/hour", "user_read": "3/hour", "user_write": "2/hour"}
    for throttle in (AnonThrottle, UserReadThrottle, UserWriteThrottle):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", rates)
    client = people.api_as(people.user("anna"))
    writes = [client.post("/api/v1/partner/organisations", {}, format="json").status_code for _ in range(3)]
    assert writes[:2] == [400, 400] and writes[2] == 429
    refused = client.post("/api/v1/partner/organisations", {}, format="json")
    assert refused["Content-Type"] == "application/json"
    assert "throttled" in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    # Reads have their own count.
    reads = [client.get("/api/v1/categories").status_code for _ in range(4)]
    assert reads == [200, 200, 200, 429]

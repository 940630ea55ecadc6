"""The same press request sent twice is saved once: the second answer is a
409 (API) or a page that says so (the form), and only one confirmation mail
leaves. Two identical requests sent at the same moment were both saved.

The concurrent test really sends them at once: two threads, each with its
own database connection, released by a barrier, against committed data
(``transaction=True``), so each request runs in its own transaction as it
does under gunicorn.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from orgs import models as m
from orgs import press
from tests import factories as f
from tests.test_press_requests import payload as press_payload

URL = "/api/v1/press/requests"


def payload(**overrides: Any) -> dict[str, Any]:
    """The press-request tests' payload, with questions (part of what makes two requests the same)."""
    return press_payload(**{"questions": "Как помочь ребёнку?", **overrides})


def _post(ip: str, data: dict[str, Any]) -> Any:
    return APIClient(REMOTE_ADDR=ip).post(URL, data, format="json")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_identical_requests_at_once_are_saved_once(attempt) -> None:
    f.CategoryFactory(slug="media-comment")
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]
    # The second copy differs only in what does not make a request different.
    copies = [payload(), payload(email="Maria@Media.example", topic="  насилие над   детьми ")]

    def send(i: int) -> None:
        try:
            barrier.wait()
            answers[i] = _post(f"10.0.9.{i}", copies[i])
        except BaseException as exc:  # reported by the assertion below
            answers[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    codes = sorted(getattr(a, "status_code", repr(a)) for a in answers)
    assert codes == [201, 409], [getattr(a, "content", a) for a in answers]
    duplicate = next(a for a in answers if a.status_code == 409)
    assert duplicate.json() == {"detail": str(press.DUPLICATE_REQUEST)}
    assert m.PressRequest.objects.count() == 1


@pytest.mark.django_db
def test_the_same_request_again_is_a_duplicate_and_not_counted_against_the_limit() -> None:
    f.CategoryFactory(slug="media-comment")
    assert _post("10.0.8.1", payload()).status_code == 201
    for _ in range(press.REQUESTS_PER_EMAIL_PER_HOUR + 1):
        again = _post("10.0.8.1", payload())
        assert again.status_code == 409 and again.json() == {"detail": str(press.DUPLICATE_REQUEST)}
    assert m.PressRequest.objects.count() == 1
    assert len(mail.outbox) == 1
    # Another question from the same journalist is a new request.
    assert _post("10.0.8.1", payload(questions="Другой вопрос")).status_code == 201


@pytest.mark.django_db
def test_the_form_says_the_request_was_already_sent() -> None:
    from django.test import Client

    f.CategoryFactory(slug="media-comment")
    f.PlaceFactory(name="Pskov", name_ru="Псков")
    client = Client(headers={"accept-language": "en"})
    form = {
        "journalist_name": "Мария",
        "outlet": "Лента",
        "email": "maria@media.example",
        "topic": "Насилие над детьми",
        "categories": ["media-comment"],
        "language": "ru",
        "format": m.PressFormat.WRITTEN,
        "deadline": (timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "deadline_zone": "Europe/Moscow",
    }
    assert client.post("/press/", form).status_code == 302
    again = client.post("/press/", form)
    assert again.status_code == 409
    assert str(press.DUPLICATE_REQUEST) in again.content.decode()
    assert m.PressRequest.objects.count() == 1

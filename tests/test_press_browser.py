"""The journalist's form in a real browser (Debian's Chromium through
Playwright): fill it in, leave the invisible trap alone, submit, open the
e-mailed link, confirm, follow the request and withdraw it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.core import mail
from django.utils import timezone

from orgs import models as m
from tests import factories as f
from tests.conftest import local_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A phone-sized Chromium page that may reach only this machine."""
    with local_page(monkeypatch, width=390, height=844) as tab:
        yield tab


def test_a_journalist_sends_confirms_follows_and_withdraws(live_server, page) -> None:
    f.CategoryFactory(slug="media-comment", name_ru="Комментарий для СМИ", name_en="Comment for the media")
    f.PlaceFactory(name="Pskov", name_ru="Псков", point=Point(28.33, 57.82, srid=4326))
    deadline = timezone.now() + dt.timedelta(days=2)

    page.goto(f"{live_server.url}/press/")
    trap = page.locator("input[name=website]")
    assert not trap.is_visible() or trap.bounding_box()["x"] < 0, "the trap is out of a person's sight"
    page.fill("#id_journalist_name", "Мария Журналистова")
    page.fill("#id_outlet", "Псковская лента")
    page.fill("#id_email", "maria@media.example")
    page.fill("#id_topic", "Как распознать насилие над ребёнком")
    page.get_by_label("Comment for the media").check()
    page.fill("#id_place", "Псков")
    page.get_by_label("Interview").check()
    page.fill("#id_deadline", deadline.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_questions", "Какие признаки должны насторожить родителей?")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/press/sent/")

    req = m.PressRequest.objects.get()
    assert req.status == m.PressRequestStatus.UNCONFIRMED
    assert req.format == m.PressFormat.INTERVIEW and req.place is not None
    assert list(req.categories.values_list("slug", flat=True)) == ["media-comment"]
    link = next(word for word in mail.outbox[-1].body.split() if "/press/confirm/" in word)

    page.goto(link)
    assert m.PressRequest.objects.get().status == m.PressRequestStatus.UNCONFIRMED
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/press/track/?t=*")
    assert page.locator("[data-status]").get_attribute("data-status") == "received"

    page.get_by_role("button", name="Withdraw the request").click()
    page.wait_for_url("**/press/track/?t=*")
    assert page.locator("[data-status]").get_attribute("data-status") == "withdrawn"
    assert m.PressRequest.objects.get().status == m.PressRequestStatus.WITHDRAWN


def test_the_form_keeps_what_was_typed_when_refused(live_server, page) -> None:
    page.goto(f"{live_server.url}/press/")
    page.fill("#id_journalist_name", "Мария")
    page.fill("#id_outlet", "Лента")
    page.fill("#id_email", "not-an-address")
    page.fill("#id_topic", "Тема")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    assert page.locator(".errorlist").count() >= 1
    assert page.input_value("#id_topic") == "Тема"
    assert not m.PressRequest.objects.exists()

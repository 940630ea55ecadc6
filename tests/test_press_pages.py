"""The same flow through the pages: the confirm and answer links show a page
with a button (a mail scanner opening a link changes nothing), the private
tracking page, the coordinator's ranking, the expert's log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

from orgs import models as m
from tests import factories as f
from tests.test_press_flow import link_token

pytestmark = pytest.mark.django_db

SECRET_EMAIL = "olga.hidden@experts.example"
SECRET_PHONE = "+7 999 000-77-66"


def test_journalist_coordinator_and_expert_through_the_pages() -> None:
    topic = f.CategoryFactory(slug="child-sexual-abuse")
    network = f.NetworkFactory(slug="stop-sed")
    coordinator = User.objects.create_user("coord", "coord@example.org", "a-long-password-1")
    m.NetworkCoordinator.objects.create(network=network, user=coordinator)
    org = f.OrganisationFactory()
    f.MembershipFactory(organisation=org, network=network)
    person = User.objects.create_user("olga", "olga@example.org", "a-long-password-1")
    expert = f.ExpertFactory(
        organisation=org,
        user=person,
        full_name="Ольга Экспертова",
        email=SECRET_EMAIL,
        phone=SECRET_PHONE,
        share_email=True,
        share_phone=True,
        languages=["ru"],
    )
    expert.topics.set([topic])

    journalist = Client()
    journalist.post(
        "/press/",
        {
            "journalist_name": "<b>Мария</b>",
            "outlet": "Лента",
            "email": "maria@media.example",
            "topic": "Насилие над детьми",
            "categories": ["child-sexual-abuse"],
            "language": "ru",
            "format": "interview",
            "deadline": (timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "deadline_zone": "Europe/Moscow",
        },
    )
    confirm_token = link_token(mail.outbox[-1].body, "/press/confirm/")
    shown = journalist.get("/press/confirm/", {"t": confirm_token})
    assert shown.status_code == 200 and "Насилие над детьми" in shown.content.decode()
    assert m.PressRequest.objects.get().status == m.PressRequestStatus.UNCONFIRMED, "a GET confirms nothing"
    confirmed = journalist.post("/press/confirm/", {"t": confirm_token})
    assert confirmed.status_code == 302 and confirmed["Location"].startswith("/press/track/?t=")
    tracking = journalist.get(confirmed["Location"])
    assert tracking.status_code == 200
    assert 'data-status="received"' in tracking.content.decode()
    assert tracking["Referrer-Policy"] == "same-origin"
    req = m.PressRequest.objects.get()

    staff = Client()
    staff.force_login(coordinator)
    listing = staff.get("/press/coordinate/")
    assert "Насилие над детьми" in listing.content.decode()
    detail = staff.get(f"/press/coordinate/{req.pk}/")
    html = detail.content.decode()
    assert "Ольга Экспертова" in html and SECRET_EMAIL not in html and SECRET_PHONE not in html
    assert "&lt;b&gt;Мария&lt;/b&gt;" in html and "<b>Мария</b>" not in html  # typed text is escaped
    assert staff.post(f"/press/coordinate/{req.pk}/", {"experts": [expert.pk]}).status_code == 302

    answer_token = link_token(mail.outbox[-1].body, "/press/answer/")
    anonymous = Client()
    answer_page = anonymous.get("/press/answer/", {"t": answer_token})
    html = answer_page.content.decode()
    assert answer_page.status_code == 200 and "Насилие над детьми" in html
    assert SECRET_EMAIL not in html and SECRET_PHONE not in html, "the link could be forwarded"
    assert m.ExpertInvitation.objects.get().status == m.InvitationStatus.SENT, "a GET answers nothing"
    done = anonymous.post("/press/answer/", {"t": answer_token, "answer": "accept", "contacts": ["phone"]})
    assert done.status_code == 200
    to_journalist = mail.outbox[-2]
    assert to_journalist.to == ["maria@media.example"]
    assert SECRET_PHONE in to_journalist.body and SECRET_EMAIL not in to_journalist.body
    assert anonymous.get("/press/answer/", {"t": answer_token}).status_code == 410  # one-time

    tracking = journalist.get(confirmed["Location"])
    html = tracking.content.decode()
    assert 'data-status="found"' in html and "Ольга Экспертова" in html
    assert SECRET_PHONE not in html, "contacts go by e-mail only"

    own = Client()
    own.force_login(person)
    log = own.get("/press/me/").content.decode()
    assert "maria@media.example" in log and "Лента" in log  # who received the contacts

    withdrawn = journalist.post("/press/track/", {"t": confirmed["Location"].split("t=")[1], "action": "withdraw"})
    assert withdrawn.status_code == 302
    req.refresh_from_db()
    assert req.status == m.PressRequestStatus.WITHDRAWN


def test_bad_links_are_plain_pages(client) -> None:
    for url in ("/press/confirm/", "/press/track/", "/press/answer/"):
        response = client.get(url, {"t": "not-a-token"})
        assert response.status_code == 404
        assert "copied the whole link" in response.content.decode()
    assert client.post("/press/confirm/", {"t": "nope"}).status_code == 403

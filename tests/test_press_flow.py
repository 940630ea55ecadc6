"""A journalist's request from the form to an expert's consent, through the
API and Django's mail outbox: confirm, match, send, accept, disclosure;
decline and expiry passing to the next expert; withdrawal and deadlines."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from orgs import models as m
from orgs import press
from tests import factories as f

pytestmark = pytest.mark.django_db

API = "/api/v1/press"
ANNA_EMAIL = "anna.private@experts.example"
ANNA_PHONE = "+7 911 555-01-01"
BORIS_EMAIL = "boris.private@experts.example"


def link_token(body: str, path: str) -> str:
    """The ``t`` parameter of the first link to ``path`` in an e-mail body."""
    for url in re.findall(r"https?://\S+", body):
        parsed = urlparse(url)
        if parsed.path == path:
            return parse_qs(parsed.query)["t"][0]
    raise AssertionError(f"no link to {path} in:\n{body}")


def mails_to(address: str) -> list[Any]:
    return [msg for msg in mail.outbox if address in msg.to]


@pytest.fixture
def world() -> dict[str, Any]:
    parent = f.CategoryFactory(slug="violence-against-children")
    topic = f.CategoryFactory(slug="child-sexual-abuse", parent=parent)
    f.TargetGroupFactory(slug="children-survivors")
    network = f.NetworkFactory(slug="stop-sed")
    coordinator = User.objects.create_user("coord", "coord@stop-sed.example", "a-long-password-1")
    m.NetworkCoordinator.objects.create(network=network, user=coordinator)
    org = f.OrganisationFactory(name="АНО «Тебе поверят»")
    f.MembershipFactory(organisation=org, network=network)
    pskov = f.PlaceFactory(name="Pskov", name_ru="Псков", point=Point(28.33, 57.82, srid=4326))
    moscow = f.PlaceFactory(name="Moscow", name_ru="Москва", point=Point(37.62, 55.75, srid=4326))
    anna = f.ExpertFactory(
        organisation=org,
        full_name="Анна Экспертова",
        email=ANNA_EMAIL,
        phone=ANNA_PHONE,
        share_email=True,
        share_phone=False,
        languages=["ru"],
        place=pskov,
    )
    boris = f.ExpertFactory(
        organisation=org, full_name="Борис Экспертов", email=BORIS_EMAIL, languages=["ru"], place=moscow
    )
    for expert in (anna, boris):
        expert.topics.set([topic])
    return {
        "network": network,
        "coordinator": coordinator,
        "org": org,
        "anna": anna,
        "boris": boris,
        "topic": topic,
        "pskov": pskov,
    }


def request_payload(**overrides: Any) -> dict[str, Any]:
    payload = {
        "journalist_name": "Мария Журналистова",
        "outlet": "Псковская лента",
        "email": "maria@media.example",
        "phone": "+7 900 123-45-67",
        "topic": "Как распознать насилие над ребёнком",
        "categories": ["child-sexual-abuse"],
        "target_groups": ["children-survivors"],
        "place": "Псков",
        "language": "ru",
        "format": "written",
        "deadline": (timezone.now() + dt.timedelta(days=2)).isoformat(),
        "questions": "Какие признаки должны насторожить родителей?",
    }
    payload.update(overrides)
    return payload


def submit_and_confirm(api: APIClient, **overrides: Any) -> tuple[m.PressRequest, str]:
    """Submit through the API and confirm with the e-mailed token; returns the
    request and the private tracking token."""
    response = api.post(f"{API}/requests", request_payload(**overrides), format="json")
    assert response.status_code == 201, response.json()
    token = link_token(mail.outbox[-1].body, "/press/confirm/")
    confirmed = api.post(f"{API}/requests/confirm", {"token": token}, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    tracking = confirmed.json()["tracking_token"]
    assert tracking
    return m.PressRequest.objects.get(email=overrides.get("email", "maria@media.example")), tracking


def answer(api: APIClient, expert_email: str, answer: str, **extra: Any) -> Any:
    """Answer through the link in the expert's latest invitation e-mail."""
    invitations = [msg for msg in mails_to(expert_email) if "/press/answer/" in msg.body]
    token = link_token(invitations[-1].body, "/press/answer/")
    return api.post(f"{API}/invitations/answer", {"token": token, "answer": answer, **extra}, format="json")


def test_whole_flow_confirm_rank_send_accept_disclose(api, world) -> None:
    response = api.post(f"{API}/requests", request_payload(), format="json")
    assert response.status_code == 201
    req = m.PressRequest.objects.get()
    assert req.status == m.PressRequestStatus.UNCONFIRMED
    assert req.place == world["pskov"]
    # Before confirmation only the journalist has heard of it.
    assert [msg.to for msg in mail.outbox] == [["maria@media.example"]]
    assert not m.ExpertInvitation.objects.exists()

    token = link_token(mail.outbox[0].body, "/press/confirm/")
    confirmed = api.post(f"{API}/requests/confirm", {"token": token}, format="json").json()
    assert confirmed["status"] == "received"
    req.refresh_from_db()
    assert req.network == world["network"]
    assert mails_to("coord@stop-sed.example"), "the coalition's coordinators are told"
    tracking = confirmed["tracking_token"]
    assert link_token(mails_to("maria@media.example")[-1].body, "/press/track/") == tracking

    coordinator = APIClient()
    coordinator.force_login(world["coordinator"])
    detail = coordinator.get(f"{API}/coordination/requests/{req.pk}")
    assert detail.status_code == 200
    ranking = detail.json()["ranking"]
    assert [r["name"] for r in ranking] == ["Анна Экспертова", "Борис Экспертов"]  # Pskov before Moscow
    assert ANNA_EMAIL not in detail.content.decode() and ANNA_PHONE not in detail.content.decode()

    sent = coordinator.post(
        f"{API}/coordination/requests/{req.pk}/send", {"experts": [ranking[0]["expert"]]}, format="json"
    )
    assert sent.status_code == 201
    invitation = m.ExpertInvitation.objects.get()
    assert invitation.expert == world["anna"] and invitation.sent_by == world["coordinator"]
    assert invitation.expires_at <= req.deadline
    assert api.get(f"{API}/requests/status", {"token": tracking}).json()["status"] == "searching"
    assert not mails_to(BORIS_EMAIL)

    accepted = answer(api, ANNA_EMAIL, "accept")
    assert accepted.status_code == 200 and accepted.json() == {"status": "accepted"}

    contacts_mail = mails_to("maria@media.example")[-1]
    assert ANNA_EMAIL in contacts_mail.body
    assert ANNA_PHONE not in contacts_mail.body, "the phone was not chosen for sharing"
    assert "maria@media.example" in mails_to(ANNA_EMAIL)[-1].body  # the expert gets the journalist's contact
    disclosure = m.Disclosure.objects.get()
    assert disclosure.expert == world["anna"]
    assert disclosure.journalist_email == "maria@media.example"
    assert disclosure.contacts == ["email"]
    assert disclosure.by_expert
    status = api.get(f"{API}/requests/status", {"token": tracking}).json()
    assert status["status"] == "found"
    assert status["expert"] == {"name": "Анна Экспертова", "organisation": "АНО «Тебе поверят»"}
    assert ANNA_EMAIL not in str(status)

    # The link worked once.
    again = answer(api, ANNA_EMAIL, "accept")
    assert again.status_code == 403
    assert again.json()["detail"] == str(press.LINK_USED)
    assert m.Disclosure.objects.count() == 1


def test_the_expert_may_narrow_the_shared_contacts_but_not_widen_them(api, world) -> None:
    world["anna"].share_phone = True
    world["anna"].save()
    world["network"].auto_match_experts = True
    world["network"].save()
    submit_and_confirm(api)
    refused = answer(api, ANNA_EMAIL, "accept", contacts=[])
    assert refused.status_code == 400 and "contacts" in refused.json()
    assert answer(api, ANNA_EMAIL, "accept", contacts=["phone"]).status_code == 200
    body = mails_to("maria@media.example")[-1].body
    assert ANNA_PHONE in body and ANNA_EMAIL not in body
    assert m.Disclosure.objects.get().contacts == ["phone"]


def test_a_contact_the_profile_does_not_share_is_refused(api, world) -> None:
    world["network"].auto_match_experts = True
    world["network"].save()
    submit_and_confirm(api)
    refused = answer(api, ANNA_EMAIL, "accept", contacts=["email", "phone"])
    assert refused.status_code == 400
    assert refused.json()["contacts"] == [str(press.CONTACT_NOT_ALLOWED)]
    assert not m.Disclosure.objects.exists()
    assert m.ExpertInvitation.objects.get().status == m.InvitationStatus.SENT, "nothing half-saved"


def test_auto_match_sends_to_the_best_expert_at_once(api, world) -> None:
    world["network"].auto_match_experts = True
    world["network"].save()
    req, _tracking = submit_and_confirm(api)
    invitation = m.ExpertInvitation.objects.get()
    assert invitation.expert == world["anna"]
    assert invitation.sent_by is None
    req.refresh_from_db()
    assert req.status == m.PressRequestStatus.SEARCHING
    assert mails_to(ANNA_EMAIL) and not mails_to(BORIS_EMAIL)
    assert not mails_to("coord@stop-sed.example")


def test_a_paused_expert_is_never_asked(api, world) -> None:
    world["network"].auto_match_experts = True
    world["network"].save()
    world["anna"].paused = True
    world["anna"].save()
    submit_and_confirm(api)
    assert m.ExpertInvitation.objects.get().expert == world["boris"]
    assert not mails_to(ANNA_EMAIL)


def test_decline_passes_to_the_next_expert_then_the_coordinators_decide(api, world) -> None:
    world["network"].auto_match_experts = True
    world["network"].save()
    req, tracking = submit_and_confirm(api)
    assert answer(api, ANNA_EMAIL, "decline").json() == {"status": "declined"}
    assert m.ExpertInvitation.objects.get(expert=world["boris"]).status == m.InvitationStatus.SENT
    assert len(mails_to(BORIS_EMAIL)) == 1
    assert not m.Disclosure.objects.exists()

    # The list runs out: the coordinators are told, the journalist still sees "looking".
    journalist_mails = len(mails_to("maria@media.example"))
    assert answer(api, BORIS_EMAIL, "decline").status_code == 200
    req.refresh_from_db()
    assert req.status == m.PressRequestStatus.SEARCHING
    assert req.exhausted_at is not None
    (told,) = [msg for msg in mails_to("coord@stop-sed.example") if "No expert left" in msg.subject]
    assert "/press/coordinate/" in told.body
    assert len(mails_to("maria@media.example")) == journalist_mails
    assert api.get(f"{API}/requests/status", {"token": tracking}).json()["status"] == "searching"

    # Nobody decides: when the deadline nears, she hears "no expert" in time to look elsewhere.
    near = req.deadline - press.deadline_margin() + dt.timedelta(minutes=1)
    assert press.press_housekeeping(base_url="http://testserver", now=near)["no_expert"] == 1
    req.refresh_from_db()
    assert req.status == m.PressRequestStatus.NO_EXPERT
    assert "No expert" in mails_to("maria@media.example")[-1].subject
    assert api.get(f"{API}/requests/status", {"token": tracking}).json()["status"] == "no_expert"
    assert not m.Disclosure.objects.exists()


def test_no_answer_by_expiry_passes_to_the_next_expert(api, world) -> None:
    world["network"].auto_match_experts = True
    world["network"].save()
    submit_and_confirm(api)
    first = m.ExpertInvitation.objects.get()
    later = first.expires_at + dt.timedelta(minutes=1)
    assert press.press_housekeeping(base_url="http://testserver", now=later) == {
        "closed": 0,
        "expired_invitations": 1,
        "no_expert": 0,
    }
    first.refresh_from_db()
    assert first.status == m.InvitationStatus.EXPIRED
    assert m.ExpertInvitation.objects.get(expert=world["boris"]).status == m.InvitationStatus.SENT

    refused = answer(api, ANNA_EMAIL, "accept")
    assert refused.status_code == 403
    assert refused.json()["detail"] == str(press.LINK_EXPIRED)
    assert not m.Disclosure.objects.exists()


def test_an_expired_link_is_refused_even_before_the_housekeeping_runs(api, world) -> None:
    world["network"].auto_match_experts = True
    world["network"].save()
    submit_and_confirm(api)
    m.ExpertInvitation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    refused = answer(api, ANNA_EMAIL, "accept")
    assert refused.status_code == 403 and refused.json()["detail"] == str(press.LINK_EXPIRED)
    assert m.ExpertInvitation.objects.get(expert=world["anna"]).status == m.InvitationStatus.EXPIRED
    assert m.ExpertInvitation.objects.get(expert=world["boris"]).status == m.InvitationStatus.SENT
    assert not m.Disclosure.objects.exists()


def test_the_journalist_withdraws(api, world) -> None:
    world["network"].auto_match_experts = True
    world["network"].save()
    _req, tracking = submit_and_confirm(api)
    withdrawn = api.post(f"{API}/requests/withdraw", {"token": tracking}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert m.ExpertInvitation.objects.get().status == m.InvitationStatus.CANCELLED
    refused = answer(api, ANNA_EMAIL, "accept")
    assert refused.status_code == 403 and refused.json()["detail"] == str(press.REQUEST_NOT_OPEN)
    assert not m.Disclosure.objects.exists()
    again = api.post(f"{API}/requests/withdraw", {"token": tracking}, format="json")
    assert again.status_code == 400 and "status" in again.json()


def test_requests_close_themselves_at_the_deadline(api, world) -> None:
    world["network"].auto_match_experts = True
    world["network"].save()
    deadline = timezone.now() + dt.timedelta(hours=3)
    req, _tracking = submit_and_confirm(api, deadline=deadline.isoformat())
    invitation = m.ExpertInvitation.objects.get()
    assert invitation.expires_at == req.deadline, "an invitation never outlives the deadline"
    result = press.press_housekeeping(base_url="", now=deadline + dt.timedelta(minutes=1))
    assert result["closed"] == 1
    req.refresh_from_db()
    assert req.status == m.PressRequestStatus.CLOSED and req.closed_at is not None
    invitation.refresh_from_db()
    assert invitation.status == m.InvitationStatus.CANCELLED
    assert m.ExpertInvitation.objects.count() == 1, "nobody else is asked after the deadline"


def test_a_request_past_its_deadline_is_closed_when_read(api, world) -> None:
    req, tracking = submit_and_confirm(api)
    m.PressRequest.objects.filter(pk=req.pk).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    assert api.get(f"{API}/requests/status", {"token": tracking}).json()["status"] == "closed"


def test_the_housekeeping_command_runs(world) -> None:
    from io import StringIO

    from django.core.management import call_command

    req = f.PressRequestFactory(deadline=timezone.now() + dt.timedelta(hours=1))
    m.PressRequest.objects.filter(pk=req.pk).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    out = StringIO()
    call_command("press_housekeeping", "--base-url", "https://help.example", stdout=out)
    assert "closed: 1" in out.getvalue()
    req.refresh_from_db()
    assert req.status == m.PressRequestStatus.CLOSED


def test_unconfirmed_requests_are_deleted_not_kept(api, world) -> None:
    api.post(f"{API}/requests", request_payload(), format="json")
    assert m.PressRequest.objects.count() == 1
    press.close_overdue(now=timezone.now() + press.UNCONFIRMED_TTL + dt.timedelta(minutes=1))
    assert not m.PressRequest.objects.exists()


def test_the_confirm_link_works_once_and_only_when_whole(api, world) -> None:
    api.post(f"{API}/requests", request_payload(), format="json")
    token = link_token(mail.outbox[-1].body, "/press/confirm/")
    assert api.post(f"{API}/requests/confirm", {"token": token[:-2]}, format="json").status_code == 403
    first = api.post(f"{API}/requests/confirm", {"token": token}, format="json").json()
    second = api.post(f"{API}/requests/confirm", {"token": token}, format="json").json()
    assert first["tracking_token"] and second["tracking_token"] is None
    assert second["status"] == "received"
    stored = m.PressRequest.objects.get()
    assert token not in (stored.confirm_token_hash, stored.tracking_token_hash), "tokens are stored hashed"

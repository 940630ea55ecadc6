"""Who may see and route a request, invite experts and edit a profile: the
permission matrix for coordinators of this and other coalitions, moderators,
owners, experts and strangers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from orgs import models as m
from orgs import press
from orgs.permissions import MODERATORS_GROUP
from tests import factories as f
from tests.test_press_flow import link_token

pytestmark = pytest.mark.django_db

API = "/api/v1/press/coordination/requests"


def user(name: str) -> User:
    return User.objects.create_user(name, f"{name}@example.org", "a-long-password-1")


@pytest.fixture
def setup() -> dict[str, Any]:
    topic = f.CategoryFactory(slug="child-sexual-abuse")
    stop_sed, alliance = f.NetworkFactory(slug="stop-sed"), f.NetworkFactory(slug="alliance")
    own, other = user("own-coordinator"), user("other-coordinator")
    m.NetworkCoordinator.objects.create(network=stop_sed, user=own)
    m.NetworkCoordinator.objects.create(network=alliance, user=other)
    moderator = user("moderator")
    moderator.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
    org = f.OrganisationFactory()
    f.MembershipFactory(organisation=org, network=stop_sed)
    expert = f.ExpertFactory(organisation=org, languages=["ru"])
    expert.topics.set([topic])
    paused = f.ExpertFactory(organisation=org, paused=True)
    paused.topics.set([topic])
    req = f.PressRequestFactory(network=stop_sed, categories=[topic])
    return {
        "own": own,
        "other": other,
        "moderator": moderator,
        "stranger": user("stranger"),
        "req": req,
        "expert": expert,
        "paused": paused,
        "org": org,
    }


def as_(u: User | None) -> APIClient:
    client = APIClient()
    if u is not None:
        client.force_login(u)
    return client


@pytest.mark.parametrize(
    ("who", "can"),
    [("own", True), ("moderator", True), ("other", False), ("stranger", False), (None, False)],
)
def test_who_sees_and_sends(setup, who, can) -> None:
    client = as_(setup[who] if who else None)
    req = setup["req"]
    listed = client.get(API)
    detail = client.get(f"{API}/{req.pk}")
    sent = client.post(f"{API}/{req.pk}/send", {"experts": [setup["expert"].pk]}, format="json")
    page = Client()
    if who:
        page.force_login(setup[who])
    page_detail = page.get(f"/press/coordinate/{req.pk}/")
    if can:
        assert [r["id"] for r in listed.json()] == [req.pk]
        assert detail.status_code == 200 and detail.json()["ranking"][0]["expert"] == setup["expert"].pk
        assert sent.status_code == 201
        assert page_detail.status_code == 200
        assert m.ExpertInvitation.objects.filter(request=req).count() == 1
    else:
        assert listed.status_code == 403 if who is None else listed.json() == []
        assert detail.status_code == 403
        assert sent.status_code == 403
        assert page_detail.status_code in (302, 403)
        assert not m.ExpertInvitation.objects.exists()
        assert not mail.outbox


def test_other_coalitions_coordinator_cannot_call_the_services(setup) -> None:
    with pytest.raises(PermissionDenied):
        press.press_request_send(
            user=setup["other"], press_request=setup["req"], expert_ids=[setup["expert"].pk], base_url=""
        )
    with pytest.raises(PermissionDenied):
        press.press_request_mark_no_expert(user=setup["other"], press_request=setup["req"])
    with pytest.raises(PermissionDenied):
        press.press_request_for_coordinator(user=setup["other"], pk=setup["req"].pk)


def test_a_paused_expert_cannot_be_sent_even_by_hand(setup) -> None:
    response = as_(setup["own"]).post(f"{API}/{setup['req'].pk}/send", {"experts": [setup["paused"].pk]}, format="json")
    assert response.status_code == 400 and "experts" in response.json()
    assert not m.ExpertInvitation.objects.exists()


def test_a_closed_request_cannot_be_sent(setup) -> None:
    m.PressRequest.objects.filter(pk=setup["req"].pk).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    response = as_(setup["own"]).post(f"{API}/{setup['req'].pk}/send", {"experts": [setup["expert"].pk]}, format="json")
    assert response.status_code == 400 and "status" in response.json()


def test_coordinator_can_tell_the_journalist_no_expert(setup) -> None:
    response = as_(setup["own"]).post(f"{API}/{setup['req'].pk}/no-expert")
    assert response.status_code == 200
    setup["req"].refresh_from_db()
    assert setup["req"].status == m.PressRequestStatus.NO_EXPERT
    assert mail.outbox[-1].to == [setup["req"].email]


def test_unconfirmed_requests_are_invisible_to_coordinators(setup) -> None:
    m.PressRequest.objects.filter(pk=setup["req"].pk).update(status=m.PressRequestStatus.UNCONFIRMED)
    assert as_(setup["own"]).get(API).json() == []
    assert as_(setup["own"]).get(f"{API}/{setup['req'].pk}").status_code == 403


# --- experts: invited by an owner, editing their own profile --------------------------------


def test_only_an_owner_invites_experts_and_the_person_joins(setup) -> None:
    org = setup["org"]
    owner = user("owner")
    m.OrganisationAccess.objects.create(organisation=org, user=owner, role=m.AccessRole.OWNER)
    editor = user("editor")
    m.OrganisationAccess.objects.create(organisation=org, user=editor, role=m.AccessRole.EDITOR)

    page = Client()
    page.force_login(editor)
    assert page.get(f"/press/o/{org.slug}/experts/").status_code == 403
    assert page.post(f"/press/o/{org.slug}/experts/", {"email": "x@example.org"}).status_code == 403
    assert not mail.outbox

    page.force_login(owner)
    assert page.post(f"/press/o/{org.slug}/experts/", {"email": "bad"}).status_code == 400
    listed = page.get(f"/press/o/{org.slug}/experts/")
    assert listed.status_code == 200 and setup["expert"].email not in listed.content.decode()
    assert page.post(f"/press/o/{org.slug}/experts/", {"email": "new.expert@example.org"}).status_code == 200
    invite = mail.outbox[-1]
    assert invite.to == ["new.expert@example.org"]
    token = link_token(invite.body, "/press/join/")

    person = user("person")
    joining = Client()
    assert joining.get("/press/join/", {"t": token}).status_code == 302  # sign in first
    joining.force_login(person)
    assert joining.get("/press/join/", {"t": token + "x"}).status_code == 404
    form = joining.get("/press/join/", {"t": token})
    assert form.status_code == 200 and "new.expert@example.org" in form.content.decode()
    nothing_shared = joining.post(
        "/press/join/", {"t": token, "full_name": "Вера Новая", "email": "new.expert@example.org"}
    )
    assert nothing_shared.status_code == 400 and str(press.SHARE_SOMETHING) in nothing_shared.content.decode()
    assert not m.Expert.objects.filter(user=person).exists()
    created = joining.post(
        "/press/join/",
        {
            "t": token,
            "full_name": "Вера Новая",
            "email": "new.expert@example.org",
            "share_email": "on",
            "topics": ["child-sexual-abuse"],
            "languages": "ru, en",
        },
    )
    assert created.status_code == 302 and created["Location"] == "/press/me/"
    expert = m.Expert.objects.get(user=person)
    assert expert.organisation == org and expert.languages == ["ru", "en"]
    assert list(expert.topics.values_list("slug", flat=True)) == ["child-sexual-abuse"]
    again = joining.post("/press/join/", {"t": token, "full_name": "Вера", "share_email": "on", "email": "a@b.example"})
    assert again.status_code == 400 and m.Expert.objects.filter(user=person).count() == 1


def test_an_expert_edits_only_their_own_profile_and_pauses(setup) -> None:
    person, stranger = user("expert-person"), setup["stranger"]
    expert = setup["expert"]
    expert.user = person
    expert.save()
    with pytest.raises(PermissionDenied):
        press.expert_profile_update(user=stranger, expert=expert, data={"paused": True})
    client = Client()
    client.force_login(stranger)
    assert client.post("/press/me/", {"expert": expert.pk, f"e{expert.pk}-full_name": "X"}).status_code == 404
    client.force_login(person)
    page = client.get("/press/me/")
    assert page.status_code == 200 and expert.email in page.content.decode()  # their own contacts, to them
    prefix = f"e{expert.pk}-"
    response = client.post(
        "/press/me/",
        {
            "expert": expert.pk,
            prefix + "full_name": expert.full_name,
            prefix + "email": expert.email,
            prefix + "share_email": "on",
            prefix + "paused": "on",
            prefix + "topics": ["child-sexual-abuse"],
            prefix + "languages": "ru",
        },
    )
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.paused
    assert press.experts_ranked(press_request=setup["req"]) == []

"""An owner invites editors by e-mail: a signed, expiring, single-use link; the
invited person, signed in with that address, accepts and edits the listing,
but cannot invite or remove anyone. The invitee's address is never public."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.utils import timezone

from orgs import models as m
from orgs import services
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


@pytest.fixture
def org(owner: User) -> m.Organisation:
    org = f.OrganisationFactory(slug="org", name="АНО «Дом»")
    m.OrganisationAccess.objects.create(organisation=org, user=owner, role=m.AccessRole.OWNER)
    return org


def _page(response: Any) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")


def _token(body: str) -> str:
    found = re.search(r"\?token=(\S+)", body)
    assert found is not None, body
    return found.group(1)


def _invite(owner: User, email: str = "vera@example.org") -> str:
    response = people.api_as(owner).post(f"{V1}/partner/organisations/org/invitations", {"email": email}, format="json")
    assert response.status_code == 201, response.json()
    invitation = m.OrganisationInvitation.objects.get(pk=response.json()["id"])
    return services.invitation_token(invitation)


# --- the API ---------------------------------------------------------------------------------


def test_an_invited_person_accepts_and_edits_but_cannot_invite_or_remove(owner, org, api, mailoutbox) -> None:
    response = people.api_as(owner).post(
        f"{V1}/partner/organisations/org/invitations", {"email": " Vera@Example.org "}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["email"] == "vera@example.org"
    # One e-mail, to the invited address only, with the link.
    assert [mail.to for mail in mailoutbox] == [["vera@example.org"]]
    body = mailoutbox[0].body
    assert "АНО «Дом»" in body and "/partner/invitation/?token=" in body and "14 days" in body
    token = _token(body)
    # The owner sees it waiting.
    listed = people.api_as(owner).get(f"{V1}/partner/organisations/org/editors").json()
    assert [i["email"] for i in listed["invitations"]] == ["vera@example.org"]
    assert [(e["email"], e["role"]) for e in listed["editors"]] == [("owner@example.org", "owner")]

    vera = people.user("vera")
    accepted = people.api_as(vera).post(f"{V1}/partner/invitations/accept", {"token": token}, format="json")
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json() == {"organisation": "org", "role": "editor"}
    access = m.OrganisationAccess.objects.get(organisation=org, user=vera)
    assert access.role == m.AccessRole.EDITOR and access.invited_by == owner
    # Single use.
    again = people.api_as(vera).post(f"{V1}/partner/invitations/accept", {"token": token}, format="json")
    assert again.status_code == 400 and again.json() == {"token": [str(services.INVITATION_INVALID)]}

    # The editor edits the listing...
    edited = people.api_as(vera).patch(
        f"{V1}/partner/organisations/org", {"description": "От редактора"}, format="json"
    )
    assert edited.status_code == 200
    # ...but neither invites, nor lists, nor removes anyone.
    invite = people.api_as(vera).post(
        f"{V1}/partner/organisations/org/invitations", {"email": "x@example.org"}, format="json"
    )
    assert invite.status_code == 403
    assert people.api_as(vera).get(f"{V1}/partner/organisations/org/editors").status_code == 403
    owner_access = m.OrganisationAccess.objects.get(user=owner)
    assert people.api_as(vera).delete(f"{V1}/partner/organisations/org/editors/{owner_access.pk}").status_code == 403
    assert m.OrganisationAccess.objects.filter(organisation=org).count() == 2
    assert m.OrganisationInvitation.objects.count() == 1

    # The invitee's address is in no public output.
    for url in (f"{V1}/organisations/org", f"{V1}/organisations", "/o/org/"):
        assert "vera@example.org" not in api.get(url).content.decode(), url


def test_an_owner_removes_an_editor_and_the_old_link_does_not_bring_them_back(owner, org) -> None:
    token = _invite(owner)
    vera = people.user("vera")
    people.api_as(vera).post(f"{V1}/partner/invitations/accept", {"token": token}, format="json")
    access = m.OrganisationAccess.objects.get(user=vera)
    # An owner is not removed here; an editor is.
    owner_access = m.OrganisationAccess.objects.get(user=owner)
    refused = people.api_as(owner).delete(f"{V1}/partner/organisations/org/editors/{owner_access.pk}")
    assert refused.status_code == 400 and refused.json() == {"editor": [str(services.ONLY_EDITORS_REMOVED)]}
    assert people.api_as(owner).delete(f"{V1}/partner/organisations/org/editors/{access.pk}").status_code == 204
    assert not m.OrganisationAccess.objects.filter(user=vera).exists()
    back = people.api_as(vera).post(f"{V1}/partner/invitations/accept", {"token": token}, format="json")
    assert back.status_code == 400
    assert not m.OrganisationAccess.objects.filter(user=vera).exists()
    assert (
        people.api_as(vera).patch(f"{V1}/partner/organisations/org", {"description": "x"}, format="json").status_code
        == 403
    )


def test_an_editor_may_leave(owner, org) -> None:
    people.api_as(people.user("vera")).post(
        f"{V1}/partner/invitations/accept", {"token": _invite(owner)}, format="json"
    )
    vera = User.objects.get(username="vera@example.org")
    access = m.OrganisationAccess.objects.get(user=vera)
    assert people.api_as(vera).delete(f"{V1}/partner/organisations/org/editors/{access.pk}").status_code == 204
    assert not m.OrganisationAccess.objects.filter(user=vera).exists()


def test_forged_expired_withdrawn_and_misaddressed_invitations_are_refused(owner, org, monkeypatch) -> None:
    vera = people.user("vera")
    client = people.api_as(vera)
    token = _invite(owner)
    invitation = m.OrganisationInvitation.objects.get()
    invalid = {"token": [str(services.INVITATION_INVALID)]}
    # Forged: another invitation id signed with no key, or the token altered.
    payload = signing.dumps({"inv": invitation.pk}, key="not-the-secret", salt=services.INVITATION_SALT)
    for forged in (payload, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x:y:z"):
        response = client.post(f"{V1}/partner/invitations/accept", {"token": forged}, format="json")
        assert response.status_code == 400 and response.json() == invalid, forged
    assert "token" in client.post(f"{V1}/partner/invitations/accept", {"token": ""}, format="json").json()
    # Expired: a token signed 15 days ago...
    old = int(time.time()) - 15 * 24 * 3600
    with monkeypatch.context() as patched:
        patched.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(old))
        stale = services.invitation_token(invitation)
    assert client.post(f"{V1}/partner/invitations/accept", {"token": stale}, format="json").json() == invalid
    # ...or an invitation whose own expiry has passed.
    m.OrganisationInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    assert client.post(f"{V1}/partner/invitations/accept", {"token": token}, format="json").json() == invalid
    m.OrganisationInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() + dt.timedelta(1))
    # Sent to another address: refused for this account.
    other = people.api_as(people.user("someone")).post(
        f"{V1}/partner/invitations/accept", {"token": token}, format="json"
    )
    assert other.status_code == 403 and other.json()["detail"] == str(services.INVITATION_OTHER_ADDRESS)
    # Withdrawn by the owner.
    withdrawn = people.api_as(owner).delete(f"{V1}/partner/organisations/org/invitations/{invitation.pk}")
    assert withdrawn.status_code == 204
    assert client.post(f"{V1}/partner/invitations/accept", {"token": token}, format="json").json() == invalid
    assert not m.OrganisationAccess.objects.filter(user=vera).exists()
    # Signed out: not accepted.
    assert people.api_as().post(f"{V1}/partner/invitations/accept", {"token": token}, format="json").status_code == 403


def test_bad_invitations_are_400s_naming_the_email(owner, org, mailoutbox) -> None:
    client = people.api_as(owner)
    url = f"{V1}/partner/organisations/org/invitations"
    assert "email" in client.post(url, {"email": "not-an-address"}, format="json").json()
    own = client.post(url, {"email": "OWNER@example.org"}, format="json")
    assert own.status_code == 400 and own.json() == {"email": [str(services.ALREADY_HAS_ACCESS)]}
    # Inviting the same address again renews the one invitation.
    client.post(url, {"email": "vera@example.org"}, format="json")
    client.post(url, {"email": "vera@example.org"}, format="json")
    assert m.OrganisationInvitation.objects.filter(status="pending").count() == 1
    assert len(mailoutbox) == 2
    for n in range(services.MAX_PENDING_INVITATIONS - 1):
        assert client.post(url, {"email": f"p{n}@example.org"}, format="json").status_code == 201
    too_many = client.post(url, {"email": "one-more@example.org"}, format="json")
    assert too_many.status_code == 400 and "email" in too_many.json()


# --- the pages ---------------------------------------------------------------------------------


def test_invite_sign_up_accept_and_edit_through_the_pages(owner, org, mailoutbox) -> None:
    client = people.pages_as(owner)
    manage = _page(client.get("/partner/o/org/"))
    assert 'href="/partner/o/org/editors/"' in manage
    bad = client.post("/partner/o/org/editors/", {"email": "vera@"})
    assert bad.status_code == 400 and 'value="vera@"' in _page(bad) and "valid email" in _page(bad)
    sent = client.post("/partner/o/org/editors/", {"email": "vera@example.org"})
    assert sent.status_code == 302
    page = _page(client.get("/partner/o/org/editors/"))
    assert "The invitation is sent to vera@example.org" in page and "Withdraw" in page
    link = re.sub(r"^https?://[^/]+", "", re.search(r"https?://\S+", mailoutbox[-1].body).group(0))  # type: ignore[union-attr]

    # Vera has no account: the link says how to sign in, and keeps itself as the next page.
    vera = people.pages_as()
    invited = _page(vera.get(link))
    assert "АНО «Дом»" in invited and "/accounts/login/?next=" in invited and "vera@example.org" not in invited
    vera.post(
        "/accounts/signup/", {"email": "vera@example.org", "password1": people.PASSWORD, "password2": people.PASSWORD}
    )
    activation = re.search(r"https?://\S+", mailoutbox[-1].body).group(0)  # type: ignore[union-attr]
    vera.get(re.sub(r"^https?://[^/]+", "", activation))
    signed_in = vera.post(
        f"/accounts/login/?next={link}", {"username": "vera@example.org", "password": people.PASSWORD}
    )
    assert signed_in.status_code == 302
    page = _page(vera.get(link))
    assert "Accept: become an editor" in page
    accepted = vera.post("/partner/invitation/", {"token": _token(link)})
    assert accepted.status_code == 302 and accepted.url == "/partner/o/org/"
    assert m.OrganisationAccess.objects.get(user__username="vera@example.org").role == "editor"
    assert "АНО «Дом»" in _page(vera.get("/partner/"))
    # The editor edits a service-free field live, and cannot open the editors page.
    assert vera.get("/partner/o/org/edit/").status_code == 200
    assert vera.get("/partner/o/org/editors/").status_code == 403
    assert vera.post("/partner/o/org/editors/", {"email": "x@example.org"}).status_code == 403
    # The link is used up.
    again = vera.get(link)
    assert again.status_code == 400 and str(services.INVITATION_INVALID) in _page(again)


def test_owner_removes_an_editor_and_withdraws_an_invitation_on_the_page(owner, org) -> None:
    vera = people.user("vera")
    people.api_as(vera).post(f"{V1}/partner/invitations/accept", {"token": _invite(owner)}, format="json")
    _invite(owner, "pavel@example.org")
    access = m.OrganisationAccess.objects.get(user=vera)
    invitation = m.OrganisationInvitation.objects.get(email="pavel@example.org")
    client = people.pages_as(owner)
    page = _page(client.get("/partner/o/org/editors/"))
    assert "vera@example.org" in page and "pavel@example.org" in page
    # An editor cannot remove another (the page is refused; so is the button's POST).
    leo = people.user("leo")
    m.OrganisationAccess.objects.create(organisation=org, user=leo, role="editor", invited_by=owner)
    assert people.pages_as(leo).post(f"/partner/o/org/editors/{access.pk}/remove/").status_code == 403
    assert people.pages_as(leo).post(f"/partner/o/org/invitations/{invitation.pk}/withdraw/").status_code == 403
    assert client.post(f"/partner/o/org/editors/{access.pk}/remove/").status_code == 302
    assert client.post(f"/partner/o/org/invitations/{invitation.pk}/withdraw/").status_code == 302
    page = _page(client.get("/partner/o/org/editors/"))
    assert "vera@example.org can no longer edit the listing" in page
    assert "The invitation to pavel@example.org is withdrawn" in page
    assert not m.OrganisationAccess.objects.filter(user=vera).exists()
    invitation.refresh_from_db()
    assert invitation.status == m.EditorInvitationStatus.REVOKED
    # An editor leaves from the organisation's page.
    leo_client = people.pages_as(leo)
    leo_access = m.OrganisationAccess.objects.get(user=leo)
    assert "Stop editing this listing" in _page(leo_client.get("/partner/o/org/"))
    left = leo_client.post(f"/partner/o/org/editors/{leo_access.pk}/remove/")
    assert left.status_code == 302 and left.url == "/partner/"
    assert not m.OrganisationAccess.objects.filter(user=leo).exists()


def test_a_forged_link_page_says_so(owner, org) -> None:
    response = people.pages_as(people.user("vera")).get("/partner/invitation/?token=forged")
    assert response.status_code == 400 and str(services.INVITATION_INVALID) in _page(response)
    assert "АНО «Дом»" not in _page(response)

"""Partner accounts: sign-up with e-mail verification, sign-in behind
django-axes, sign-out, password reset; every e-mail through Django's backend."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from frontend.accounts import INVALID_LOGIN, LINK_INVALID

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-password-1"
LINK = re.compile(r"https?://\S+")


@pytest.fixture
def client() -> Client:
    # English pages, so the tests can read the messages.
    return Client(headers={"accept-language": "en"})


def _link(body: str) -> str:
    """The path of the first link in an e-mail."""
    url = LINK.search(body)
    assert url is not None, body
    return re.sub(r"^https?://[^/]+", "", url.group(0))


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_sign_up_verify_by_email_then_sign_in(client, mailoutbox) -> None:
    response = client.post(
        reverse("frontend:signup"),
        {"email": "Anna@Example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert "Check your e-mail" in response.content.decode()
    user = User.objects.get(email="anna@example.org")
    assert not user.is_active  # nothing can be done before the address is confirmed
    assert user.username == "anna@example.org"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["anna@example.org"]

    # Signing in before confirming fails, with a message that says why.
    refused = client.post(reverse("frontend:login"), {"username": "anna@example.org", "password": PASSWORD})
    assert refused.status_code == 200 and not _signed_in(client)
    assert str(INVALID_LOGIN) in refused.content.decode().replace("&#x27;", "'")

    link = _link(mailoutbox[0].body)
    response = client.get(link)
    assert response.status_code == 302 and response.url == reverse("frontend:login")
    user.refresh_from_db()
    assert user.is_active
    # The link works once.
    again = client.get(link)
    assert again.status_code == 400 and str(LINK_INVALID) in again.content.decode()

    # The address as typed, in another case, signs in.
    response = client.post(reverse("frontend:login"), {"username": "ANNA@example.org", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("frontend:partner:dashboard")
    assert _signed_in(client)


def test_a_forged_activation_link_activates_nothing(client) -> None:
    user = User.objects.create_user("x@example.org", "x@example.org", PASSWORD, is_active=False)
    response = client.get(reverse("frontend:activate", kwargs={"uidb64": "MQ", "token": "forged-token"}))
    assert response.status_code == 400
    response = client.get(reverse("frontend:activate", kwargs={"uidb64": "!!", "token": "x"}))
    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.is_active


def test_sign_up_with_a_known_address_creates_nothing_and_tells_its_owner(client, mailoutbox) -> None:
    User.objects.create_user("anna@example.org", "anna@example.org", PASSWORD)
    response = client.post(
        reverse("frontend:signup"),
        {"email": "anna@example.org", "password1": "another-password-2", "password2": "another-password-2"},
    )
    # The page is the same as for a new address: it does not tell who has an account.
    assert response.status_code == 200 and "Check your e-mail" in response.content.decode()
    assert User.objects.count() == 1
    assert User.objects.get().check_password(PASSWORD)  # the password was not changed
    assert len(mailoutbox) == 1 and "already has one" in mailoutbox[0].body


def test_sign_up_errors_keep_what_was_typed(client) -> None:
    response = client.post(
        reverse("frontend:signup"),
        {"email": "anna@example.org", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="anna@example.org"' in page
    assert "The two passwords differ" in page
    weak = client.post(
        reverse("frontend:signup"), {"email": "b@example.org", "password1": "12345", "password2": "12345"}
    )
    assert "too short" in weak.content.decode()
    assert not User.objects.exists()


def test_sixth_attempt_is_refused_even_with_the_right_password(client, settings) -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    User.objects.create_user("anna@example.org", "anna@example.org", PASSWORD)
    for _ in range(4):
        response = client.post(reverse("frontend:login"), {"username": "anna@example.org", "password": "wrong"})
        assert response.status_code == 200
    # The fifth failure reaches the limit: the lockout page, not the form again.
    fifth = client.post(reverse("frontend:login"), {"username": "anna@example.org", "password": "wrong"})
    assert fifth.status_code == 429
    sixth = client.post(reverse("frontend:login"), {"username": "anna@example.org", "password": PASSWORD})
    assert sixth.status_code == 429
    assert "Sign-in is blocked for a while" in sixth.content.decode()
    assert "even with the right password" in sixth.content.decode()
    assert not _signed_in(client)


def test_sign_out_is_a_post(client) -> None:
    user = User.objects.create_user("anna@example.org", "anna@example.org", PASSWORD)
    client.force_login(user)
    assert client.get(reverse("frontend:logout")).status_code == 405
    assert _signed_in(client)
    response = client.post(reverse("frontend:logout"))
    assert response.status_code == 302 and response.url == reverse("frontend:home")
    assert not _signed_in(client)


def test_password_reset_by_email(client, mailoutbox) -> None:
    User.objects.create_user("anna@example.org", "anna@example.org", PASSWORD)
    response = client.post(reverse("frontend:password_reset"), {"email": "anna@example.org"})
    assert response.status_code == 302 and response.url == reverse("frontend:password_reset_done")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Help Locator: set a new password"
    # An unknown address gets the same answer and no e-mail.
    client.post(reverse("frontend:password_reset"), {"email": "nobody@example.org"})
    assert len(mailoutbox) == 1

    link = _link(mailoutbox[0].body)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and "new_password1" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    new = "brand-new-password-7"
    done = client.post(set_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done.url == reverse("frontend:password_reset_complete")
    assert client.post(reverse("frontend:login"), {"username": "anna@example.org", "password": new}).status_code == 302
    # The link is spent.
    assert "invalid, already used or expired" in client.get(link, follow=True).content.decode()

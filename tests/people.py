"""People of the partner tests: accounts, and clients signed in as them."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.test import Client
from rest_framework.test import APIClient

from orgs.permissions import MODERATORS_GROUP

PASSWORD = "a-long-password-1"


def user(name: str) -> User:
    """An account whose user name and address are ``name@example.org``."""
    return User.objects.create_user(f"{name}@example.org", f"{name}@example.org", PASSWORD)


def moderator(name: str = "moder") -> User:
    account = user(name)
    account.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
    return account


def api_as(account: User | None = None) -> APIClient:
    client = APIClient()
    if account is not None:
        client.force_login(account)
    return client


def pages_as(account: User | None = None) -> Client:
    """A browser-like client that reads the pages in English."""
    client = Client(headers={"accept-language": "en"})
    if account is not None:
        client.force_login(account)
    return client

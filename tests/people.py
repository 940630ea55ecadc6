"""People of the partner tests: accounts, clients signed in as them, the
organisations they own and the edit form they send."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.test import Client
from rest_framework.test import APIClient

from orgs import models as m
from orgs.permissions import MODERATORS_GROUP
from tests import factories as f

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


def owned(account: User, *, name: str = "ОФ «Дом»", with_place: bool = True, **kwargs: Any) -> m.Organisation:
    """An organisation (slug ``org``) that ``account`` owns; published by
    default, and with one place (the factory's, 57.82 N 28.33 E) unless
    ``with_place`` is off."""
    org = f.OrganisationFactory(slug="org", name=name, **kwargs)
    if with_place and not org.locations.exists():
        f.LocationFactory(organisation=org)
    m.OrganisationAccess.objects.create(organisation=org, user=account)
    return org


def org_form(org: m.Organisation, **changes: str) -> dict[str, str]:
    """The organisation edit page's fields as they stand, with ``changes``
    (field names without the ``org-`` prefix)."""
    data = {
        "org-name": org.name,
        "org-legal_form": org.legal_form,
        "org-country": org.country,
        "org-ogrn": org.ogrn or "",
        "org-inn": org.inn or "",
        "org-website": org.website,
        "org-email": org.email,
        "org-social_links": "\n".join(org.social_links),
        "org-description": org.description,
    }
    return {**data, **{f"org-{k}": v for k, v in changes.items()}}

"""What the partner-page tests share: a taxonomy with two coalitions, a
coordinator, the registration page's form data, and readers of a page's
messages and of an e-mailed link."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import User

from orgs import models as m
from tests import factories as f
from tests import people

OGRN = "1027700132195"
INN = "7707083893"


def make_taxonomy() -> dict[str, Any]:
    return {
        "category": f.CategoryFactory(slug="psychological-help", name_en="Psychological help"),
        "target": f.TargetGroupFactory(slug="children-survivors"),
        "stop_sed": f.NetworkFactory(slug="stop-sed", name="СТОП СЭН", roles=["participant"]),
        "alliance": f.NetworkFactory(slug="alliance", name="Альянс", roles=["member", "candidate", "partner"]),
    }


def make_coordinator(network: m.Network, name: str = "coord") -> User:
    user = people.user(name)
    m.NetworkCoordinator.objects.create(network=network, user=user)
    return user


def registration(**overrides: Any) -> dict[str, Any]:
    """What the registration page posts, with one place, one service and an
    application to STOP SED."""
    data: dict[str, Any] = {
        "org-name": "АНО «Светлый дом»",
        "org-legal_form": "ano",
        "org-country": "RU",
        "org-ogrn": OGRN,
        "org-inn": INN,
        "org-website": "https://svetly-dom.example",
        "org-email": "info@svetly-dom.example",
        "org-social_links": "",
        "org-description": "Психологическая помощь детям, пережившим насилие.",
        "ident-TOTAL_FORMS": "0",
        "ident-INITIAL_FORMS": "0",
        "loc-TOTAL_FORMS": "1",
        "loc-INITIAL_FORMS": "0",
        "loc-0-city": "Псков",
        "loc-0-address": "ул. Примерная, 1",
        "loc-0-country": "RU",
        "loc-0-lat": "57.8136",
        "loc-0-lon": "28.3496",
        "loc-0-visibility": "approximate",
        "loc-0-phone": "+7 8112 00-00-00",
        "loc-0-languages": ["ru"],
        "loc-0-hours_0_opens": "09:00",
        "loc-0-hours_0_closes": "18:00",
        "svc-TOTAL_FORMS": "1",
        "svc-INITIAL_FORMS": "0",
        "svc-0-name": "Консультация психолога",
        "svc-0-categories": ["psychological-help"],
        "svc-0-target_groups": ["children-survivors"],
        "svc-0-formats": ["in_person", "online"],
        "svc-0-is_free": "true",
        "svc-0-area_kind": "locations",
        "svc-0-locations": ["0"],
        "net-net_stop-sed": "participant",
        "net-net_alliance": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


REGISTER = "/partner/register/"
QUEUE = "/partner/moderation/"


def page_text(response: Any) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


AGES_ORDER = "The upper age must not be below the lower age."


def field_errors(page: str, field: str) -> list[str]:
    """The messages shown under one input (Django names its error list after the input's id)."""
    found = re.search(rf'<ul class="errorlist" id="id_{re.escape(field)}_error">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


def emailed_path(body: str) -> str:
    url = re.search(r"https?://\S+", body)
    assert url is not None
    return re.sub(r"^https?://[^/]+", "", url.group(0))

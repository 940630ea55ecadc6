"""The owner's e-mail after a moderator's decision says what was decided, why,
what to do next, and links to pages that open."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from orgs import models as m
from tests import people

pytestmark = pytest.mark.django_db


def _links(body: str) -> list[str]:
    return re.findall(r"https?://testserver(/\S*)", body)


def test_a_published_listing_mail_links_to_it(russian_default) -> None:
    owner = people.user("owner")
    org = people.owned(owner, status=m.PublicationStatus.PENDING)
    moderator = Client(headers={"accept-language": "ru"})
    moderator.force_login(people.moderator())
    response = moderator.post(f"/partner/moderation/organisations/{org.slug}/", {"status": "published"})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [owner.email]
    body = message.body
    assert "опубликовано" in body.lower() and "можно найти в каталоге" in body
    links = _links(body)
    assert links == [f"/o/{org.slug}/", f"/partner/o/{org.slug}/"]
    assert people.pages_as().get(links[0]).status_code == 200
    assert people.pages_as(owner).get(links[1]).status_code == 200


def test_a_rejected_listing_mail_gives_the_reason_and_the_way_back(russian_default) -> None:
    owner = people.user("owner")
    org = people.owned(owner, status=m.PublicationStatus.PENDING)
    people.api_as(people.moderator()).post(
        f"/api/v1/moderation/organisations/{org.slug}",
        {"status": "rejected", "reason": "Не указан адрес приёма"},
        format="json",
    )
    (message,) = mail.outbox
    body = message.body
    assert "Не указан адрес приёма" in body
    with translation.override("ru"):  # the mail's language, whether or not the catalogue has it yet
        assert gettext("It is not shown to the public now.") in body
        assert (
            gettext(
                "Correct what the reason says on your listing's page and send it for checking again "
                "with the button there."
            )
            in body
        )
    assert settings.COORDINATORS_EMAIL in body
    assert _links(body) == [f"/partner/o/{org.slug}/"]
    assert people.pages_as(owner).get(_links(body)[0]).status_code == 200

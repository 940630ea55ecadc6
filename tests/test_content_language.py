"""Content carries the language it is written in (WCAG 3.1.2): on an English
or Ukrainian page, a Russian name or description is marked lang="ru", a
translated one the interface's language."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import NetworkFactory, OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("russian_default")]


def _client(language: str) -> Client:
    client = Client()
    client.get(f"/language/{language}/", {"next": "/"})
    return client


@pytest.mark.parametrize("language", ["en", "uk"])
def test_an_organisation_page_marks_russian_content(language: str) -> None:
    org = OrganisationFactory(name="Тебе поверят", description="Помогаем.", description_en="We help.")
    html = _client(language).get(f"/o/{org.slug}/").content.decode()
    assert f'<html lang="{language}">' in html
    assert '<h1 lang="ru">Тебе поверят</h1>' in html  # names stay in their own language
    if language == "en":
        assert '<div class="description" lang="en"><p>We help.</p>' in html
    else:  # no Ukrainian translation: the Russian original, marked as such
        assert '<div class="description" lang="ru"><p>Помогаем.</p>' in html


def test_coalition_names_say_which_language_they_are_in() -> None:
    NetworkFactory(slug="stop-sed", name="СТОП СЭД", name_en="STOP SED")
    NetworkFactory(slug="alliance", name="Ценность каждого")
    html = _client("en").get("/networks/").content.decode()
    assert '<h2 lang="en"><a href="/networks/stop-sed/">STOP SED</a>' in html
    assert '<h2 lang="ru"><a href="/networks/alliance/">Ценность каждого</a>' in html

"""Languages of the public pages: Russian by default, English and Ukrainian
chosen with the language switch (Django's set_language)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import CategoryFactory, OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("russian_default")]


@pytest.fixture
def category() -> None:
    CategoryFactory(
        slug="psy-test", name_ru="Психологическая помощь", name_en="Psychological help", name_uk="Психологічна допомога"
    )


def _switch(client: Client, language: str, next_url: str = "/") -> None:
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response.headers["Location"] == next_url


def _config(html: str) -> dict:
    match = re.search(r'<script id="locator-config" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def _lang(html: str) -> str:
    match = re.search(r'<html lang="([\w-]+)">', html)
    assert match
    return match.group(1)


@pytest.mark.usefixtures("category")
def test_russian_by_default(client: Client) -> None:
    response = client.get("/")
    html = response.content.decode()

    assert _lang(html) == "ru"
    assert response.headers["Content-Language"] == "ru"
    assert '<option value="psy-test">Психологическая помощь</option>' in html


@pytest.mark.usefixtures("category")
@pytest.mark.parametrize(
    ("language", "name"),
    [("en", "Psychological help"), ("uk", "Психологічна допомога"), ("ru", "Психологическая помощь")],
)
def test_language_switch_changes_the_pages(client: Client, language: str, name: str) -> None:
    org = OrganisationFactory(description="Помогаем.", description_en="We help.", description_uk="Допомагаємо.")
    _switch(client, language, next_url=f"/o/{org.slug}/")

    html = client.get(f"/o/{org.slug}/").content.decode()
    assert _lang(html) == language
    assert {"ru": "Помогаем.", "en": "We help.", "uk": "Допомагаємо."}[language] in html
    html = client.get("/").content.decode()
    assert _lang(html) == language
    assert f'<option value="psy-test">{name}</option>' in html
    assert f'lang="{language}" hreflang="{language}" aria-current="true">' in html  # the language links
    # The browser-side texts follow the page's language.
    assert _config(html)["lang"] == language


def test_languages_are_named_in_themselves(client: Client) -> None:
    for language in ("ru", "en", "uk"):
        _switch(client, language)
        html = client.get("/").content.decode()
        assert ">Русский</a>" in html and ">English</a>" in html and ">Українська</a>" in html


def test_an_unknown_language_keeps_russian(client: Client) -> None:
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})

    assert _lang(client.get("/").content.decode()) == "ru"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs GNU gettext's msgfmt (./dev installs it)")
def test_interface_texts_come_from_the_translation_catalogues(client: Client, settings: Any, tmp_path: Path) -> None:
    """The page's own words (not only the data) change with the language.

    The project's catalogues are regenerated and translated separately, so the
    test compiles a small catalogue of its own and puts it first."""
    for language, exit_text, status in [("ru", "Быстрый выход", "Ищем…"), ("uk", "Швидкий вихід", "Шукаємо…")]:
        folder = tmp_path / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "django.po").write_text(
            'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
            f'msgid "Quick exit"\nmsgstr "{exit_text}"\n\n'
            f'msgid "Searching…"\nmsgstr "{status}"\n',
            encoding="utf-8",
        )
        subprocess.run(  # noqa: S603 - fixed arguments
            ["msgfmt", "-o", str(folder / "django.mo"), str(folder / "django.po")],  # noqa: S607
            check=True,
        )
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]

    pages = {}
    for language in ("ru", "en", "uk"):
        _switch(client, language)
        pages[language] = client.get("/").content.decode()

    assert "Быстрый выход" in pages["ru"] and _config(pages["ru"])["messages"]["searching"] == "Ищем…"
    assert "Швидкий вихід" in pages["uk"] and _config(pages["uk"])["messages"]["searching"] == "Шукаємо…"
    assert "Quick exit" in pages["en"] and _config(pages["en"])["messages"]["searching"] == "Searching…"
    assert "Быстрый выход" not in pages["en"]


def test_project_catalogues_exist_for_every_language() -> None:
    for code, _name in settings.LANGUAGES:
        assert (Path(settings.LOCALE_PATHS[0]) / code / "LC_MESSAGES" / "django.po").is_file(), code

"""The Content-Security-Policy holds on the real pages: no inline script runs
without the response's nonce, and only /embed/ may be framed."""

from __future__ import annotations

import re

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.IGNORECASE)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in header.split(";")) if d}


@pytest.fixture
def organisation():
    return f.OrganisationFactory(slug="csp-org", name="Дом")


@pytest.mark.parametrize("path", ["/", "/o/csp-org/", "/networks/", "/centres/", "/embed/", "/press/"])
def test_every_inline_script_carries_this_responses_nonce(client, organisation, path) -> None:
    response = client.get(path)
    assert response.status_code == 200
    policy = _policy(response)
    script_src = policy["script-src"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    nonces = [s for s in script_src if s.startswith("'nonce-")]
    html = response.content.decode()
    for attrs in INLINE_SCRIPT.findall(html):
        if 'type="application/json"' in attrs:
            continue  # json_script data, not executed
        assert nonces, f"{path}: an inline script but no nonce in the policy"
        assert f'nonce="{nonces[0][7:-1]}"' in attrs, f"{path}: inline script without the nonce"
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]


def test_the_map_page_really_has_the_nonced_map_script(client, organisation) -> None:
    response = client.get("/o/csp-org/")
    html = response.content.decode()
    assert "L.map(" in html
    nonce = next(s for s in _policy(response)["script-src"] if s.startswith("'nonce-"))[7:-1]
    assert f'<script nonce="{nonce}">' in html
    # A fresh nonce on every response: a leaked one is useless.
    assert nonce not in client.get("/o/csp-org/").content.decode()


def test_only_the_embed_may_be_framed(client, settings, organisation) -> None:
    assert _policy(client.get("/"))["frame-ancestors"] == ["'none'"]
    assert client.get("/")["X-Frame-Options"] == "DENY"
    embed = client.get("/embed/")
    assert _policy(embed)["frame-ancestors"] == settings.EMBED_FRAME_ANCESTORS.split()
    assert "X-Frame-Options" not in embed


def test_images_and_requests_only_from_the_site(client, settings) -> None:
    # The basemap comes from this site: no other host by default.
    assert settings.MAP_TILES_URL == ""
    policy = _policy(client.get("/"))
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == ["'self'"]


def test_an_operators_raster_tile_server_is_the_one_image_host(monkeypatch) -> None:
    import importlib

    import locator.settings as production

    monkeypatch.setenv("MAP_TILES_URL", "https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    try:
        reloaded = importlib.reload(production)
        assert reloaded.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] == [
            "'self'",
            "data:",
            "https://*.tiles.example.org",
        ]
    finally:
        monkeypatch.delenv("MAP_TILES_URL")
        importlib.reload(production)


def test_api_docs_allow_inline_styles_but_no_inline_scripts(client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = _policy(response)
    assert "'unsafe-inline'" in policy["style-src"] and not any(s.startswith("'nonce-") for s in policy["style-src"])
    assert "'unsafe-inline'" not in policy["script-src"]
    assert not INLINE_SCRIPT.search(response.content.decode())

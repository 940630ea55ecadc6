"""Hostile input: what one request may make the service do.

- Bodies over their caps are refused from the declared Content-Length before
  they are read (413: JSON under /api/, a short page elsewhere), forms with
  too many fields or files get a page that says so, and the reverse proxy's
  caps let through what the application accepts.

Page sizes, result counts, text lengths, repeated parameters and password
guessing: tests/test_hostile_limits.py.

XSS payloads in every text field are tested in a real browser:
tests/browser/test_xss.py.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.urls import reverse
from rest_framework.parsers import JSONParser
from rest_framework.test import APIClient

from api import errors
from locator.settings import env_size
from orgs import models as m
from orgs.admin import hsds as admin_hsds

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a-long-password-1"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def _json_of_size(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes: {"name": "xxx…"}."""
    frame = b'{"name": ""}'
    return frame[:-2] + b"x" * (size - len(frame)) + frame[-2:]


def _too_large(cap: int) -> str:
    return str(errors.TOO_LARGE).format(size=filesizeformat(cap))


def _clear_page(response: Any, status: int, title: object, text: str) -> None:
    """A short HTML page with a title and a sentence; no traceback, no debug page."""
    assert response.status_code == status
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert f"<title>{title}</title>" in page
    assert text in page
    assert "Traceback" not in page and "Bad Request (400)" not in page


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of the JSON bodies DRF parsed (to tell a refused body from a read one)."""
    seen: list[int] = []
    original = JSONParser.parse

    def spy(self: JSONParser, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = original(self, stream, media_type, parser_context)
        seen.append(len(json.dumps(data)))
        return data

    monkeypatch.setattr(JSONParser, "parse", spy)
    return seen


@pytest.fixture
def partner_api() -> APIClient:
    client = APIClient()
    client.force_login(User.objects.create_user("partner@example.org", "partner@example.org", PASSWORD))
    return client


# --- oversized bodies and uploads ---------------------------------------------------------------------


def test_a_json_body_over_the_cap_is_a_413_in_json_and_never_parsed(partner_api: APIClient, parsed: list[int]) -> None:
    cap = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert cap == 1024 * 1024

    response = partner_api.post("/api/v1/partner/organisations", _json_of_size(cap + 1), content_type=JSON)

    assert response.status_code == 413
    assert response["Content-Type"] == JSON
    assert response.json() == {"detail": _too_large(cap)}
    assert parsed == []
    assert not m.Organisation.objects.exists()
    # At the cap the body is read (and refused for what it says: a 1 MB name).
    response = partner_api.post("/api/v1/partner/organisations", _json_of_size(cap), content_type=JSON)
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert len(parsed) == 1


@pytest.mark.parametrize(
    "path", ["/api/v1/press/requests", "/api/v1/press/requests/confirm", "/api/v1/invented", "/api/v1/nearest"]
)
def test_oversized_anonymous_bodies_are_refused_on_every_api_route(
    api: APIClient, parsed: list[int], path: str
) -> None:
    body = _json_of_size(django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1).decode()
    response = api.generic("POST", path, body, content_type=JSON)
    assert response.status_code == 413
    assert response.json() == {"detail": _too_large(django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}
    assert parsed == []


def test_the_cap_follows_the_declared_length_not_what_arrives(api: APIClient) -> None:
    # A client that declares a huge body is refused at once, before it sends it.
    response = api.generic("POST", "/api/v1/press/requests", "{}", content_type=JSON, CONTENT_LENGTH="999999999")
    assert response.status_code == 413


@pytest.mark.parametrize("debug", [False, True])
def test_an_oversized_form_gets_a_clear_page(client: Client, settings: Any, debug: bool) -> None:
    settings.DEBUG = debug
    body = urlencode({"username": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "password": "y"})

    response = client.post("/accounts/login/", body, content_type=FORM)

    _clear_page(response, 413, errors.TOO_LARGE_TITLE, _too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))


def test_a_multipart_form_whose_fields_are_over_the_cap_gets_a_clear_page(client: Client, settings: Any) -> None:
    # Within the upload cap as a whole, but its text fields alone are over the form cap.
    cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    data = {"username": "x" * (cap // 2 + 1), "password": "y" * (cap // 2 + 1)}

    response = client.post("/accounts/login/", data)  # multipart/form-data

    _clear_page(response, 413, errors.TOO_LARGE_TITLE, _too_large(cap))


def test_a_form_with_too_many_fields_gets_a_clear_page(client: Client, settings: Any) -> None:
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    fields = [(f"f{i}", "1") for i in range(limit + 1)]

    response = client.post("/accounts/login/", urlencode(fields), content_type=FORM)

    _clear_page(response, 400, errors.TOO_MANY_FIELDS_TITLE, str(errors.TOO_MANY_FIELDS))
    # As many as the largest partner form may send are accepted (the sign-in form is shown again).
    response = client.post("/accounts/login/", urlencode(fields[:limit]), content_type=FORM)
    assert response.status_code == 200


def test_a_form_with_too_many_files_gets_a_clear_page(client: Client, settings: Any) -> None:
    files = [SimpleUploadedFile(f"{i}.txt", b"x") for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)]

    response = client.post("/accounts/login/", {"username": "a", "password": "b", "file": files})

    _clear_page(response, 400, errors.TOO_MANY_FIELDS_TITLE, str(errors.TOO_MANY_FIELDS))


@pytest.fixture
def admin_client_small_caps(client: Client, settings: Any, tmp_path: Path) -> Client:
    """A superuser's browser, with caps small enough to test quickly: 16 KB for
    forms, 10 KB for an ordinary file, 200 KB for the HSDS import."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024
    settings.FILE_UPLOAD_MAX_BYTES = 10 * 1024
    settings.HSDS_UPLOAD_MAX_BYTES = 200 * 1024
    settings.MEDIA_ROOT = tmp_path
    client.force_login(User.objects.create_superuser("admin", "admin@example.org", PASSWORD))
    return client


def _upload(name: str, size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b" " * size, content_type="application/octet-stream")


@pytest.fixture
def import_runs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Files the HSDS import view went on to read."""
    runs: list[Path] = []
    original = admin_hsds.read_files

    def spy(path: Path) -> Any:
        runs.append(path)
        return original(path)

    monkeypatch.setattr(admin_hsds, "read_files", spy)
    return runs


def test_an_hsds_upload_over_its_cap_is_refused_before_it_is_read(
    admin_client_small_caps: Client, settings: Any, import_runs: list[Path], tmp_path: Path
) -> None:
    url = reverse("admin:hsds-import")
    assert django_settings.LARGE_UPLOAD_VIEWS == {"admin:hsds-import": "HSDS_UPLOAD_MAX_BYTES"}
    upload = _upload("directory.json", settings.HSDS_UPLOAD_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

    response = admin_client_small_caps.post(url, {"file": upload, "preview": "1"})

    cap = settings.HSDS_UPLOAD_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    _clear_page(response, 413, errors.TOO_LARGE_TITLE, _too_large(cap))
    assert import_runs == []
    assert list(tmp_path.rglob("*")) == []  # nothing stored


def test_an_hsds_file_just_over_its_cap_is_refused_by_the_form(
    admin_client_small_caps: Client, settings: Any, import_runs: list[Path]
) -> None:
    upload = _upload("directory.json", settings.HSDS_UPLOAD_MAX_BYTES + 1)

    response = admin_client_small_caps.post(reverse("admin:hsds-import"), {"file": upload, "preview": "1"})

    assert response.status_code == 200
    expected = str(admin_hsds.TOO_BIG) % {"size": filesizeformat(settings.HSDS_UPLOAD_MAX_BYTES)}
    assert expected in response.content.decode()
    assert "The file is larger than 200.0" in expected
    assert import_runs == []


def test_the_hsds_import_takes_files_larger_than_other_uploads(
    admin_client_small_caps: Client, settings: Any, import_runs: list[Path]
) -> None:
    size = 100 * 1024  # over the ordinary file cap (10 KB), under the HSDS one (200 KB)
    assert size > settings.FILE_UPLOAD_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = admin_client_small_caps.post(
        reverse("admin:hsds-import"), {"file": _upload("directory.json", size), "preview": "1"}
    )

    # The view took it and read it (a preview of a blank file).
    assert response.status_code == 200
    assert len(import_runs) == 1
    # The same file anywhere else is over the ordinary cap.
    response = admin_client_small_caps.post(
        reverse("admin:orgs_organisation_add"), {"name": "x", "logo": _upload("logo.png", size)}
    )
    _clear_page(
        response,
        413,
        errors.TOO_LARGE_TITLE,
        _too_large(settings.FILE_UPLOAD_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
    )


def test_size_settings_are_typed_and_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_CAP", "2048")
    assert env_size("SOME_CAP", 1) == 2048
    monkeypatch.delenv("SOME_CAP")
    assert env_size("SOME_CAP", 7) == 7
    for bad in ("0", "-1", "5m", "1.5"):
        monkeypatch.setenv("SOME_CAP", bad)
        with pytest.raises(ImproperlyConfigured, match="SOME_CAP"):
            env_size("SOME_CAP", 1)


_NGINX_UNITS = {"": 1, "k": 1024, "m": 1024 * 1024, "g": 1024 * 1024 * 1024}


def _nginx_size(value: str) -> int:
    match = re.fullmatch(r"(\d+)([kmg]?)", value.lower())
    assert match, value
    return int(match.group(1)) * _NGINX_UNITS[match.group(2)]


def test_the_reverse_proxy_lets_through_what_the_application_accepts_and_no_more() -> None:
    conf = "\n".join(
        line for line in (ROOT / "deploy" / "nginx.conf").read_text().splitlines() if not line.strip().startswith("#")
    )
    locations = dict(re.findall(r"location = (\S+) \{(.*?)\n    \}", conf, flags=re.S))
    hsds_block = locations[reverse("admin:hsds-import")]
    (hsds_cap,) = re.findall(r"client_max_body_size (\S+);", hsds_block)
    outside = conf
    for block in locations.values():
        outside = outside.replace(block, "")
    (general_cap,) = re.findall(r"client_max_body_size (\S+);", outside)

    data = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    # Everything the application accepts reaches it, so its clearer 413 answers the rest.
    assert _nginx_size(general_cap) >= data + django_settings.FILE_UPLOAD_MAX_BYTES
    assert _nginx_size(hsds_cap) >= data + django_settings.HSDS_UPLOAD_MAX_BYTES
    # The large cap is for the HSDS import only.
    assert _nginx_size(general_cap) < django_settings.HSDS_UPLOAD_MAX_BYTES
    # (The basemap's archive, served from the disk, is the other exact location; it takes no body.)
    assert set(locations) == {reverse("admin:hsds-import"), "/basemap/basemap.pmtiles"}
    assert "client_max_body_size" not in locations["/basemap/basemap.pmtiles"]


# --- the reverse proxy, for real ------------------------------------------------------------------


def _through_proxy(port: int, path: str, *, content_type: str, length: int, send_body: bool) -> tuple[int, bytes]:
    """A POST over TLS declaring ``length`` bytes; the body is sent only if
    ``send_body`` (a refused one is answered from the headers alone)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port)) as raw, context.wrap_socket(raw) as conn:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
        )
        conn.sendall(head.encode())
        if send_body:
            chunk = b"x" * 65536
            for start in range(0, length, len(chunk)):
                conn.sendall(chunk[: length - start])
        answer = b""
        while data := conn.recv(65536):
            answer += data
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1]


@pytest.mark.django_db(transaction=True)
def test_the_shipped_proxy_config_refuses_what_the_application_would_and_passes_the_rest(proxy: int) -> None:
    mib = 1024 * 1024
    # Over the proxy's cap: nginx answers from the headers, the body never leaves the client.
    status, _ = _through_proxy(proxy, "/accounts/login/", content_type=FORM, length=6 * mib, send_body=False)
    assert status == 413
    # Under the proxy's cap, over the application's: the application's own 413, in JSON.
    status, body = _through_proxy(proxy, "/api/v1/press/requests", content_type=JSON, length=2 * mib, send_body=True)
    assert status == 413
    assert json.loads(body) == {"detail": _too_large(django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}
    # The HSDS import's larger cap reaches the application (which refuses this
    # anonymous post for its own reasons, not for its size).
    boundary = "----hostile"
    status, _ = _through_proxy(
        proxy,
        "/admin/hsds-import/",
        content_type=f"multipart/form-data; boundary={boundary}",
        length=6 * mib,
        send_body=True,
    )
    assert status not in (413, 502)
    status, _ = _through_proxy(proxy, "/admin/hsds-import/", content_type=FORM, length=52 * mib, send_body=False)
    assert status == 413


def test_without_the_middleware_the_api_still_answers_json(partner_api: APIClient, settings: Any) -> None:
    # DRF reads the body through request.body, which raises past the cap;
    # api.errors.exception_handler answers it (Django alone answered an HTML 400).
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != "api.errors.RequestSizeMiddleware"]
    cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = partner_api.post("/api/v1/partner/organisations", _json_of_size(cap + 1).decode(), content_type=JSON)
    assert response.status_code == 413
    assert response.json() == {"detail": _too_large(cap)}

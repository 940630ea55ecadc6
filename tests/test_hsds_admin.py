"""The admin's HSDS upload: a dry-run preview first, then the import of the same upload."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orgs import models as m
from orgs.hsds.spec import OFFICIAL_DIR

pytestmark = pytest.mark.django_db
URL = "/admin/hsds-import/"


@pytest.fixture
def staff(client: Client, settings: Any, tmp_path: Any) -> Client:
    settings.MEDIA_ROOT = tmp_path
    user = User.objects.create_superuser("mod", "mod@example.org", "pw-123-456")
    client.force_login(user)
    return client


def _upload(name: str = "service_full.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (OFFICIAL_DIR / "examples" / name).read_bytes(), "application/json")


def test_preview_writes_nothing_then_confirm_imports(staff: Client, tmp_path: Any) -> None:
    page = staff.post(URL, {"file": _upload(), "preview": "1"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Preview" in text and "organisations 1" in text and "service_full.json:" in text
    assert not m.Organisation.objects.exists()
    token = staff.session["hsds_upload"]

    done = staff.post(URL, {"token": token, "confirm": "1", "publish": "", "atomic": ""})

    assert done.status_code == 200
    org = m.Organisation.objects.get(name="Example Organization Inc.")
    assert org.status == m.PublicationStatus.PENDING
    assert not list((tmp_path / "hsds-uploads").iterdir())  # the upload is deleted
    # The history says who imported it.
    assert org.history.first().history_user.username == "mod"


def test_a_stale_token_imports_nothing(staff: Client) -> None:
    response = staff.post(URL, {"token": "abc123", "confirm": "1"}, follow=True)
    assert "no longer available" in response.content.decode()
    assert not m.Organisation.objects.exists()


def test_wrong_file_type_is_refused_with_a_message(staff: Client) -> None:
    response = staff.post(URL, {"file": SimpleUploadedFile("x.exe", b"MZ"), "preview": "1"})
    assert response.status_code == 200
    assert ".zip" in response.content.decode()
    assert not m.Organisation.objects.exists()


def test_only_moderators(client: Client) -> None:
    partner = User.objects.create_user("partner", "p@example.org", "pw-123-456", is_staff=True)
    client.force_login(partner)
    assert client.get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302  # to the admin login


# The HSDS import's permission matrix: who may load a file into the directory.
# Only staff with the right to add organisations (and admins); partners,
# coordinators and site moderators work from the partner pages, not the admin.
IMPORT_ACTORS = {
    "anonymous": False,
    "partner": False,
    "coordinator": False,
    "moderator": False,
    "staff_without_permission": False,
    "staff_with_permission": True,
    "admin": True,
}


def _import_actor(name: str) -> User | None:
    from django.contrib.auth.models import Group, Permission

    from orgs.permissions import MODERATORS_GROUP
    from tests import factories as f

    if name == "anonymous":
        return None
    if name == "admin":
        return User.objects.create_superuser(name, f"{name}@example.org", "pw-123-456")
    user = User.objects.create_user(name, f"{name}@example.org", "pw-123-456", is_staff=name.startswith("staff"))
    if name == "partner":
        m.OrganisationAccess.objects.create(organisation=f.OrganisationFactory(), user=user)
    elif name == "coordinator":
        m.NetworkCoordinator.objects.create(network=f.NetworkFactory(), user=user)
    elif name == "moderator":
        user.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
    elif name == "staff_with_permission":
        user.user_permissions.add(Permission.objects.get(codename="add_organisation"))
    return user


@pytest.mark.parametrize(("actor", "allowed"), IMPORT_ACTORS.items())
def test_who_may_import(client: Client, settings: Any, tmp_path: Any, actor: str, allowed: bool) -> None:
    settings.MEDIA_ROOT = tmp_path
    user = _import_actor(actor)
    if user is not None:
        client.force_login(user)
    before = m.Organisation.objects.count()

    preview = client.post(URL, {"file": _upload(), "preview": "1"})
    token = client.session.get("hsds_upload", "stolen-or-guessed")
    done = client.post(URL, {"token": token, "confirm": "1", "publish": "", "atomic": ""})

    if allowed:
        assert preview.status_code == done.status_code == 200
        assert m.Organisation.objects.filter(name="Example Organization Inc.").exists()
    else:
        # Not staff: the admin's login page; staff without the right: refused.
        expected = 403 if actor == "staff_without_permission" else 302
        assert preview.status_code == done.status_code == expected
        assert m.Organisation.objects.count() == before
        uploads = tmp_path / "hsds-uploads"
        assert not uploads.exists() or not list(uploads.iterdir())  # nothing was even stored

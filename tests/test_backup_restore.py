"""deploy/backup.sh and deploy/restore.sh: a dump restored into an empty
database has every organisation, location and history row.

The scripts run as they would in production (pg_dump/pg_restore of PostgreSQL
15, in a subprocess), so the data must be committed: ``transaction=True``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from psycopg import sql
from rest_framework.test import APIClient

from orgs import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = "/usr/lib/postgresql/15/bin"


def _url(dbname: str) -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"])
    return f"postgis://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{dbname}"


def _run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own scripts, fixed arguments
        [str(ROOT / "deploy" / script), *args],
        env={**os.environ, "PG_BIN": PG_BIN, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _history_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model.__name__.startswith("Historical") and model._meta.app_label == "orgs"
    )


def _ids(conn: psycopg.Connection, table: str, pk: str) -> list[int]:
    query = sql.SQL("SELECT {} FROM {} ORDER BY 1").format(sql.Identifier(pk), sql.Identifier(table))
    return [row[0] for row in conn.execute(query)]


def _snapshot(conn: psycopg.Connection) -> dict[str, list[int]]:
    tables = {m.Organisation._meta.db_table: "id", m.Location._meta.db_table: "id", m.Service._meta.db_table: "id"}
    tables.update({table: "history_id" for table in _history_tables()})
    return {table: _ids(conn, table, pk) for table, pk in tables.items()}


@pytest.fixture
def restored_name() -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_restored"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(_url("postgres").replace("postgis://", "postgresql://"), autocommit=True) as admin:
        admin.execute(drop)  # a leftover of an interrupted run
        yield name
        admin.execute(drop)


def _directory_with_history() -> None:
    partner = User.objects.create_user("owner", "owner@example.org", "a-long-password-1")
    client = APIClient()
    client.force_login(partner)
    for n in range(5):
        with transaction.atomic():
            org = f.OrganisationFactory(located=False, slug=f"kept-{n}")
            for k in range(2):
                f.LocationFactory(organisation=org, point=Point(28.3 + n, 57.8 + k / 10, srid=4326))
            f.ServiceFactory(organisation=org, categories=[f.CategoryFactory(slug="psychology")])
        m.OrganisationAccess.objects.create(organisation=org, user=partner)
        # Edits through the API, as a partner makes them: each one is a history row with its author.
        for version in (1, 2):
            edited = client.patch(
                f"/api/v1/partner/organisations/{org.slug}", {"description": f"Версия {n}.{version}"}, format="json"
            )
            assert edited.status_code == 200, edited.content
    f.OrganisationFactory(slug="draft", status=m.PublicationStatus.DRAFT)


def test_a_dump_restores_into_an_empty_database_with_every_row(restored_name, tmp_path) -> None:
    _directory_with_history()
    source = connection.settings_dict["NAME"]
    with psycopg.connect(_url(source).replace("postgis://", "postgresql://")) as conn:
        expected = _snapshot(conn)
    assert len(expected[m.Organisation._meta.db_table]) == 6
    assert len(expected[m.Location._meta.db_table]) == 10
    assert len(expected[m.Organisation.history.model._meta.db_table]) >= 15  # created + 2 edits each

    backup = _run("backup.sh", DATABASE_URL=_url(source), BACKUP_DIR=str(tmp_path))
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip())
    assert dump.parent == tmp_path and dump.name.startswith(f"{source}-") and dump.suffix == ".dump"
    assert dump.stat().st_mode & 0o077 == 0  # private contacts inside: owner-only
    assert not list(tmp_path.glob("*.partial"))

    restore = _run("restore.sh", str(dump), _url(restored_name))
    assert restore.returncode == 0, restore.stderr
    with psycopg.connect(_url(restored_name).replace("postgis://", "postgresql://")) as conn:
        assert _snapshot(conn) == expected
        latest = conn.execute(
            "SELECT description, history_user_id FROM orgs_historicalorganisation"
            " WHERE slug = 'kept-3' ORDER BY history_date DESC, history_id DESC LIMIT 1"
        ).fetchone()
        assert latest is not None
        assert latest[0] == "Версия 3.2" and latest[1] == User.objects.get(username="owner").pk
        # The geography survived as geography (PostGIS restored with its types).
        point = conn.execute("SELECT ST_AsText(point) FROM orgs_location ORDER BY id LIMIT 1").fetchone()
        assert point is not None and point[0].startswith("POINT(28.3")

    # A database that already has tables is refused, never merged into.
    again = _run("restore.sh", str(dump), _url(restored_name))
    assert again.returncode == 1
    assert "Refusing to restore" in again.stderr


def test_backups_keep_only_the_newest(tmp_path) -> None:
    source = connection.settings_dict["NAME"]
    for stamp in ("20200101T000000Z", "20200102T000000Z", "20200103T000000Z"):
        (tmp_path / f"{source}-{stamp}.dump").write_bytes(b"old")
    other = tmp_path / "another-20200101T000000Z.dump"
    other.write_bytes(b"another database's dump")

    backup = _run("backup.sh", DATABASE_URL=_url(source), BACKUP_DIR=str(tmp_path), BACKUP_KEEP="2")
    assert backup.returncode == 0, backup.stderr
    kept = sorted(p.name for p in tmp_path.glob(f"{source}-*.dump"))
    assert kept == [f"{source}-20200103T000000Z.dump", Path(backup.stdout.strip()).name]
    assert other.exists()

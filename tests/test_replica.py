"""Public reads are served by a real streaming replica; writes, and a writer's
own reads right after, use the primary.

``./dev test`` starts a second PostGIS cluster (.pgreplica, port 54330) as a
hot standby of the project's cluster (pg_basebackup over loopback) and sets
DATABASE_REPLICA_URLS. The test database created on the primary reaches the
standby by replication; the replica alias is a test MIRROR, so Django points
it at that database without trying to create one on a read-only server.

The data must be committed (the standby sees nothing of an open transaction),
hence ``transaction=True``. To prove which server answered, replay on the
standby is paused: a row written on the primary meanwhile exists only there.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from locator.db_router import reads_from
from locator.middleware import PRIMARY_PIN_COOKIE
from orgs import models as m
from tests import factories as f

REPLICAS = list(django_settings.DATABASE_REPLICAS)
V1 = "/api/v1"

pytestmark = [
    pytest.mark.skipif(
        not REPLICAS,
        reason="no read replica: DATABASE_REPLICA_URLS is not set. `./dev test` starts one; by hand, run "
        "`./dev replica` and export the DATABASE_REPLICA_URLS it prints",
    ),
    pytest.mark.django_db(transaction=True, databases=["default", *REPLICAS]),
]


@pytest.fixture
def replica(settings) -> str:
    settings.DATABASE_REPLICAS = REPLICAS[:1]
    return REPLICAS[0]


def _one(alias: str, sql: str, params: tuple[object, ...] = ()) -> object:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _wait_for_replay(alias: str, timeout: float = 30.0) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    target = _one("default", "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + timeout
    while not _one(alias, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)):
        assert time.monotonic() < deadline, f"the replica did not replay up to {target} within {timeout} s"
        time.sleep(0.05)


@contextmanager
def _replay_paused(alias: str) -> Iterator[None]:
    """Everything committed so far is on the standby; what the primary writes inside the block is not."""
    _wait_for_replay(alias)
    _one(alias, "SELECT pg_wal_replay_pause()::text")
    try:
        yield
    finally:
        _one(alias, "SELECT pg_wal_replay_resume()::text")


def _published_org(slug: str, description: str = "Психологическая помощь.") -> m.Organisation:
    # Committed at once (the replica sees only committed rows), with its location
    # in the same transaction (a published organisation needs one).
    with transaction.atomic():
        org = f.OrganisationFactory(slug=slug, description=description, located=False)
        f.LocationFactory(organisation=org, point=Point(28.33, 57.82, srid=4326))
    return org


def test_the_replica_is_a_streaming_hot_standby_of_the_test_database(replica) -> None:
    assert _one("default", "SELECT pg_is_in_recovery()") is False
    assert _one(replica, "SELECT pg_is_in_recovery()") is True
    assert _one(replica, "SELECT inet_server_port()") != _one("default", "SELECT inet_server_port()")
    # MIRROR renamed the alias' database to the test database, on the replica's server.
    assert _one(replica, "SELECT current_database()") == _one("default", "SELECT current_database()")
    assert _one("default", "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") >= 1

    org = _published_org("streamed")
    _wait_for_replay(replica)
    assert m.Organisation.objects.using(replica).get(pk=org.pk).slug == "streamed"


def test_public_reads_are_served_by_the_replica(replica) -> None:
    _published_org("on-both")
    anonymous = APIClient()
    with _replay_paused(replica):
        _published_org("only-on-primary")
        assert m.Organisation.objects.using("default").filter(slug="only-on-primary").exists()
        assert not m.Organisation.objects.using(replica).filter(slug="only-on-primary").exists()

        with (
            CaptureQueriesContext(connections["default"]) as on_primary,
            CaptureQueriesContext(connections[replica]) as on_replica,
        ):
            listed = anonymous.get(f"{V1}/organisations")
            nearest = anonymous.get(f"{V1}/nearest", {"lat": 57.8, "lon": 28.3})
            page = anonymous.get(f"{V1}/organisations/only-on-primary")
        assert listed.status_code == 200 and nearest.status_code == 200
        body = listed.json()
        slugs = {row["slug"] for row in (body["results"] if isinstance(body, dict) else body)}
        assert "on-both" in slugs and "only-on-primary" not in slugs
        assert len(nearest.json()["results"]) == 1
        assert page.status_code == 404
        assert len(on_replica) > 0
        assert len(on_primary) == 0, [q["sql"] for q in on_primary.captured_queries]

        # A signed-in partner reads from the primary and sees it at once.
        partner = User.objects.create_user("reader", "reader@example.org", "a-long-password-1")
        signed_in = APIClient()
        signed_in.force_login(partner)
        with CaptureQueriesContext(connections[replica]) as on_replica:
            assert signed_in.get(f"{V1}/organisations/only-on-primary").status_code == 200
        assert len(on_replica) == 0

    # Replay resumed: the standby catches up and serves the new row too.
    _wait_for_replay(replica)
    assert anonymous.get(f"{V1}/organisations/only-on-primary").status_code == 200


def test_writes_land_on_the_primary_and_the_writer_reads_its_own_write(replica) -> None:
    org = _published_org("edited", description="Старое описание.")
    partner = User.objects.create_user("partner", "partner@example.org", "a-long-password-1")
    m.OrganisationAccess.objects.create(organisation=org, user=partner)
    editor = APIClient()
    editor.force_login(partner)
    with _replay_paused(replica):
        with CaptureQueriesContext(connections[replica]) as on_replica:
            edited = editor.patch(
                f"{V1}/partner/organisations/edited", {"description": "Новое описание."}, format="json"
            )
        assert edited.status_code == 200, edited.content
        assert len(on_replica) == 0
        assert m.Organisation.objects.using("default").get(pk=org.pk).description == "Новое описание."
        assert m.Organisation.objects.using(replica).get(pk=org.pk).description == "Старое описание."
        pin = edited.cookies[PRIMARY_PIN_COOKIE]
        assert pin.value == "1" and int(pin["max-age"]) == django_settings.DATABASE_PRIMARY_PIN_SECONDS
        assert pin["httponly"]

        # Anyone else reads the replica (still the old text); the browser that
        # just wrote carries the pin and reads its own change from the primary.
        stranger = APIClient()
        assert stranger.get(f"{V1}/organisations/edited").json()["description"] == "Старое описание."
        writer = APIClient()
        writer.cookies[PRIMARY_PIN_COOKIE] = "1"
        assert writer.get(f"{V1}/organisations/edited").json()["description"] == "Новое описание."

        # Any request that may write pins, whatever its outcome.
        refused = APIClient().post(f"{V1}/partner/organisations", {}, format="json")
        assert refused.status_code in {401, 403}
        assert PRIMARY_PIN_COOKIE in refused.cookies


def test_commands_transactions_and_migrations_use_the_primary(replica) -> None:
    # Outside a request nothing reads from a replica (a command reads, then writes).
    assert router.db_for_read(m.Organisation) == "default"
    with reads_from(replica):
        assert router.db_for_read(m.Organisation) == replica
        # Inside a transaction a read must see that transaction's own writes.
        with transaction.atomic():
            assert router.db_for_read(m.Organisation) == "default"
        assert router.db_for_write(m.Organisation) == "default"
    assert router.allow_migrate("default", "orgs")
    assert not router.allow_migrate(replica, "orgs")

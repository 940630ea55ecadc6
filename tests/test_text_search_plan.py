"""The organisation text search is served by its two GIN indexes.

The condition must compile to the very expressions the indexes are built on
(``org_document_fts``: Django's SearchVector, which wraps the column in
COALESCE; ``org_document_trgm``: trigrams of the column). A hand-written
``to_tsvector('russian', search_document)`` is another expression: PostgreSQL
then reads the whole table, which on a small test table looks just as fast.
With sequential scans disabled, a plan that still scans the table has no index
to use."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import QuerySet

from orgs import models as m
from orgs.search import text
from orgs.selectors import organisations_public
from tests import factories as f

pytestmark = pytest.mark.django_db


def _plan_nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node.get("Plans", []) for n in _plan_nodes(child))]


def _plan(qs: QuerySet[m.Organisation]) -> list[dict[str, Any]]:
    sql, params = qs.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cur:
        # A table of a few rows is cheaper to scan than to probe: forbid the
        # scan (and a walk of a whole unrelated index, its stand-in) so that
        # only a missing index can produce one.
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_indexscan = off")
        # Real statistics: without them the planner guesses every equality
        # (status = 'published') selective, and reads the status index instead.
        cur.execute("ANALYZE orgs_organisation")
        cur.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (row,) = cur.fetchall()
    plan = row[0] if isinstance(row[0], list) else json.loads(row[0])
    return _plan_nodes(plan[0]["Plan"])


def test_text_search_reads_both_gin_indexes_and_never_scans_the_table() -> None:
    # A directory where the words are rare, as they are in the real one: the
    # planner then prefers the text indexes to reading every published row.
    for i in range(40):
        f.OrganisationFactory(name=f"Фонд {i}", description="Юридическая помощь.")
    f.OrganisationFactory(name="Опора", description="Психолог для детей.")
    q = "психологи детям"

    # The text condition alone: with table and whole-index scans off, the only
    # plan that reads no whole table probes both text indexes. An expression
    # that differs from an index's leaves PostgreSQL only the table scan.
    nodes = _plan(text.organisations_matching_text(m.Organisation.objects.all(), q))
    scans = [(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in nodes]
    assert not [s for s in scans if s[0] == "Seq Scan"], scans
    assert {"org_document_fts", "org_document_trgm"} <= {s[2] for s in scans}, scans

    # The request's query (published only, by name): no table scan either.
    real = text.organisations_matching_text(organisations_public(), q).distinct().order_by("name", "pk")
    scans = [(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in _plan(real)]
    assert ("Seq Scan", "orgs_organisation", None) not in scans, scans

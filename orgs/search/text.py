"""Text search over published organisations (``GET /api/v1/organisations``).

``search_document`` (kept by ``orgs.search.index``) holds an organisation's
names, descriptions, services, categories and cities, lower-cased and ё-folded.
Two GIN indexes serve it (``Organisation.Meta.indexes``): ``org_document_fts``
on ``SearchVector("search_document", config="russian")`` for Russian stems and
``org_document_trgm`` (trigrams) for typos. The condition below is written with
Django's own lookups so that it compiles to exactly those indexed expressions;
``tests/test_text_search_plan.py`` reads the plan and fails on a table scan.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery
from django.db.models import Q, QuerySet

from orgs import models as m
from orgs.selectors import memberships_public

# The text search configuration of the org_document_fts index: a query in any
# other configuration is a different expression, which the index cannot serve.
TEXT_SEARCH_CONFIG = "russian"
# Words of a query that are searched; the rest are ignored (each word is two
# index probes).
MAX_WORDS = 8
PAGE_SIZE = 100


def query_words(q: str) -> list[str]:
    """The words searched for: lower-cased and ё-folded as the document is."""
    return [w for w in q.lower().replace("ё", "е").split() if w][:MAX_WORDS]


def organisations_matching_text(qs: QuerySet[m.Organisation], q: str) -> QuerySet[m.Organisation]:
    """The organisations of ``qs`` whose document matches every word of ``q``:
    by its Russian stem (full text, "психологов" finds "психолог") or, for typos,
    by trigram word similarity ("психолг")."""
    for word in query_words(q):
        # search_document__search wraps the column in the same
        # to_tsvector('russian', COALESCE(…, '')) as the index's SearchVector;
        # trigram_word_similar is the "document %> word" operator of gin_trgm_ops.
        qs = qs.filter(
            Q(search_document__search=SearchQuery(word, config=TEXT_SEARCH_CONFIG))
            | Q(search_document__trigram_word_similar=word)
        )
    return qs


def organisations_page(qs: QuerySet[m.Organisation], *, page: int = 1, limit: int = PAGE_SIZE) -> list[m.Organisation]:
    """One page of the filtered organisations with their coalitions.

    By name, then id: a stable order, so that pages neither skip nor repeat."""
    start = (page - 1) * limit
    return list(qs.distinct().order_by("name", "pk").prefetch_related(memberships_public())[start : start + limit])

"""Text search over published organisations: ``GET /api/v1/organisations``
and the directory page's search box."""

from __future__ import annotations

from orgs import models as m
from orgs.selectors import category_descendant_ids, memberships_public, organisations_public


def organisations_search(
    *,
    network: str | None = None,
    category: str | None = None,
    target: str | None = None,
    city: str | None = None,
    region: str | None = None,
    country: str | None = None,
    q: str | None = None,
    limit: int = 100,
    page: int = 1,
) -> list[m.Organisation]:
    """Published organisations by filters and Russian text.

    ``q`` matches word by word: a word matches by its Russian stem (full text,
    "психологов" finds "психолог") or, for typos, by trigram word similarity
    ("психолг"). ё and е are the same letter here.
    """
    qs = organisations_public()
    if network:
        qs = qs.filter(memberships__network__slug=network, memberships__status=m.MembershipStatus.ACTIVE)
    if category:
        ids = m.Category.objects.filter(slug=category).values_list("pk", flat=True)
        qs = qs.filter(services__categories__in=category_descendant_ids(ids))
    if target:
        qs = qs.filter(services__target_groups__slug=target)
    if city:
        qs = qs.filter(locations__city__iexact=city)
    if region:
        qs = qs.filter(locations__region__iexact=region)
    if country:
        qs = qs.filter(country=country.upper())
    if q:
        words = [w for w in q.lower().replace("ё", "е").split() if w][:8]
        for word in words:
            qs = qs.extra(
                where=[
                    "(to_tsvector('russian', orgs_organisation.search_document) @@ plainto_tsquery('russian', %s)"
                    " OR %s <%% orgs_organisation.search_document)"
                ],
                params=[word, word],
            )
    # By name, then id: a stable order, so that pages neither skip nor repeat.
    start = (page - 1) * limit
    return list(qs.distinct().order_by("name", "pk").prefetch_related(memberships_public())[start : start + limit])

"""Audience-aware search: a family's search leaves out the services meant for
specialists and the media (issue #15: «Комментарий для СМИ» and «Экспертиза
программы» led a parent's results), unless the searcher says they are a
specialist."""

from __future__ import annotations

from dataclasses import replace

from orgs import models as m
from orgs import selectors
from orgs.search.filters import SearchFilters

# fixtures/seed.json: the category of what the coalitions offer professionals
# (its sub-categories include the comment for the media), and the target group
# of specialists.
PROFESSIONAL_CATEGORY = "professional-support"
SPECIALISTS_TARGET = "specialists"


def for_people(filters: SearchFilters) -> SearchFilters:
    roots = m.Category.objects.filter(slug=PROFESSIONAL_CATEGORY).values_list("pk", flat=True)
    professional = tuple(sorted(selectors.category_descendant_ids(roots)))
    specialists = tuple(m.TargetGroup.objects.filter(slug=SPECIALISTS_TARGET).values_list("pk", flat=True))
    # A search that asks for professional help itself (methodological help,
    # or help for specialists) is a specialist's: it keeps everything.
    if set(filters.facets) & set(professional) or set(filters.target_ids) & set(specialists):
        return filters
    return replace(filters, professional_facets=professional, specialist_target_ids=specialists)

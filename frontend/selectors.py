"""Reads the pages need beyond the public API's: composed from orgs.selectors,
and like them only ever returning published organisations."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from orgs import models as m
from orgs import selectors

# The taxonomy's category of crisis lines and helplines (fixtures/seed.json).
CRISIS_LINE_CATEGORY = "crisis-line"
CRISIS_LINES_SHOWN = 4
# Shown in the crisis strip whatever the data holds: the single emergency number
# of Russia and most EECA countries (it reaches police, ambulance and rescue).
EMERGENCY_NUMBER = "112"


def crisis_lines(*, limit: int = CRISIS_LINES_SHOWN) -> list[m.Service]:
    """Phone and online services of published organisations filed under the
    crisis-line category (or below it), those for everyone first. Only what
    the data holds: a line without a phone or an address to reach is left out."""
    roots = m.Category.objects.filter(slug=CRISIS_LINE_CATEGORY).values_list("pk", flat=True)
    ids = selectors.category_descendant_ids(roots)
    if not ids:
        return []
    breadth = Case(
        When(area_kind=m.AreaKind.ANYWHERE, then=Value(0)),
        When(area_kind=m.AreaKind.COUNTRY, then=Value(1)),
        When(area_kind=m.AreaKind.REGION, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    qs = (
        m.Service.objects.filter(
            organisation__status=m.PublicationStatus.PUBLISHED,
            categories__in=ids,
            formats__overlap=[m.ServiceFormat.PHONE, m.ServiceFormat.ONLINE],
        )
        .exclude(phone="", url="")
        .select_related("organisation")
        .annotate(breadth=breadth)
        .distinct()
        .order_by("breadth", "organisation__name", "name")
    )
    return list(qs[:limit])


@dataclass(frozen=True)
class CategoryOption:
    category: m.Category
    depth: int

    @property
    def indent(self) -> str:
        # No-break spaces: a <select> shows the tree by indentation only.
        return "\u00a0" * 4 * self.depth


def category_options() -> list[CategoryOption]:
    """The category tree, flattened in display order (each parent before its children)."""
    categories = list(m.Category.objects.all())
    children: dict[int | None, list[m.Category]] = {}
    for cat in categories:
        children.setdefault(cat.parent_id, []).append(cat)
    out: list[CategoryOption] = []

    def walk(parent: int | None, depth: int) -> None:
        for cat in children.get(parent, []):
            out.append(CategoryOption(cat, depth))
            if depth < 5:
                walk(cat.pk, depth + 1)

    walk(None, 0)
    return out


def organisation_page(slug: str) -> QuerySet[m.Organisation]:
    """The published organisation with this slug and what its page shows."""
    return (
        selectors.organisations_public()
        .filter(slug=slug)
        .prefetch_related(
            selectors.memberships_public(),
            Prefetch("locations", queryset=m.Location.objects.prefetch_related("hours").order_by("kind", "city", "pk")),
            Prefetch(
                "services",
                queryset=m.Service.objects.prefetch_related("categories", "target_groups", "locations").order_by(
                    "name"
                ),
            ),
            Prefetch("centres", queryset=m.ActivePeopleCentre.objects.order_by("name")),
        )
    )


def network_members(network: m.Network) -> list[m.Membership]:
    """Active memberships of published organisations, by role then name."""
    order = Case(
        *(When(role=role, then=Value(i)) for i, role in enumerate(m.MembershipRole.values)),
        output_field=IntegerField(),
    )
    return list(
        network.memberships.filter(status=m.MembershipStatus.ACTIVE, organisation__status=m.PublicationStatus.PUBLISHED)
        .select_related("organisation")
        .prefetch_related(Prefetch("organisation__locations", queryset=m.Location.objects.order_by("city")))
        .annotate(role_order=order)
        .order_by("role_order", "organisation__name")
    )


def centres_public() -> QuerySet[m.ActivePeopleCentre]:
    """Active People Centres of published host organisations."""
    return (
        m.ActivePeopleCentre.objects.filter(host__status=m.PublicationStatus.PUBLISHED)
        .select_related("host")
        .prefetch_related("helps_with")
        .order_by("name")
    )

"""The gazetteer's towns, the category tree and the target groups."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from orgs import gazetteer
from orgs.admin.common import LocalMapMixin
from orgs.admin.forms import CategoryForm
from orgs.models import (
    Category,
    Place,
    TargetGroup,
)


@admin.register(Place)
class PlaceAdmin(LocalMapMixin, admin.ModelAdmin):
    list_display = ["__str__", "name", "country_code", "admin1_code", "population", "timezone", "geonameid"]
    list_filter = ["country_code"]
    # search_text holds every name (Latin, Cyrillic, variants), folded as the
    # gazetteer folds them; a trigram index serves the substring search.
    search_fields = ["search_text"]
    ordering = ["-population", "name"]
    readonly_fields = ["names", "search_text"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["geonameid", "name", "name_ru", "country_code", "admin1_code", "population", "timezone"]}),
        (_("Position"), {"fields": ["point"]}),
        (
            _("Search names"),
            {
                "fields": ["names", "search_text"],
                "description": _("Derived from the names above when saved; GeoNames' other spellings are kept."),
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Place | None = None) -> list[str]:
        # The GeoNames id is the primary key: changing it would copy the place.
        return [*self.readonly_fields, "geonameid"] if obj is not None else list(self.readonly_fields)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        return super().get_search_results(request, queryset, gazetteer.normalise(search_term))

    def save_model(self, request: HttpRequest, obj: Place, form: Any, change: Any) -> None:
        obj.names = gazetteer.place_names(name=obj.name, alternatenames=obj.names, name_ru=obj.name_ru)
        obj.search_text = gazetteer.NAMES_SEPARATOR.join(obj.names)
        super().save_model(request, obj, form, change)


# A category's path from its root, e.g. "00000support 00003lawyer": ordering by it
# lists every category right under its parent. Spaces never occur in slugs and
# sort before every slug character under the "C" collation. The depth limit
# stops a cycle (which the admin form refuses) from recursing for ever.
_CATEGORY_TREE_PATH = f"""
(WITH RECURSIVE up(parent_id, path, depth) AS (
    SELECT c.parent_id, lpad(c.position::text, 5, '0') || c.slug, 0
    FROM {Category._meta.db_table} c WHERE c.id = {Category._meta.db_table}.id
  UNION ALL
    SELECT p.parent_id, lpad(p.position::text, 5, '0') || p.slug || ' ' || up.path, up.depth + 1
    FROM {Category._meta.db_table} p JOIN up ON p.id = up.parent_id
    WHERE up.depth < 32
)
SELECT path FROM up ORDER BY depth DESC LIMIT 1) COLLATE "C"
"""  # noqa: S608 - no user input: table names from the model


def _tree_path() -> RawSQL:
    return RawSQL(_CATEGORY_TREE_PATH, (), output_field=TextField())  # noqa: S611 - constant SQL, no parameters


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryForm
    list_display = ["tree_name", "slug", "name_en", "position", "service_count"]
    list_filter = [("parent", admin.EmptyFieldListFilter), "parent"]
    search_fields = ["name_ru", "name_en", "name_uk", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    # An expression, not the annotation's name: other admins' category filters
    # and autocompletes order their choices by this too, on a plain queryset.
    ordering = [_tree_path().asc()]
    fields = ["parent", "name_ru", "name_en", "name_uk", "slug", "position", "description", "source", "uuid"]
    readonly_fields = ["uuid"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(tree_path=_tree_path(), service_total=Count("services"))

    @admin.display(description=_("category"), ordering="tree_path")
    def tree_name(self, obj: Category) -> str:
        depth = getattr(obj, "tree_path", "").count(" ")
        return format_html("{}{}", "\u2003" * depth + ("└ " if depth else ""), obj.name_ru)

    @admin.display(description=_("services"), ordering="service_total")
    def service_count(self, obj: Category) -> int:
        return getattr(obj, "service_total", 0)


@admin.register(TargetGroup)
class TargetGroupAdmin(admin.ModelAdmin):
    list_display = ["name_ru", "slug", "name_en", "position"]
    search_fields = ["name_ru", "name_en", "name_uk", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    readonly_fields = ["uuid"]

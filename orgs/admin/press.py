"""Experts for the press flow. Their private contacts are shown here to staff
only; no public page, API answer or export has them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from orgs.admin.common import prefetching_changelist
from orgs.models import (
    Expert,
)


@admin.register(Expert)
class ExpertAdmin(SimpleHistoryAdmin):
    list_display = ["full_name", "organisation", "place", "topic_list", "on_camera", "paused"]
    list_filter = [
        "paused",
        "on_camera",
        "topics",
        ("organisation__memberships__network", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["organisation", "place"]
    search_fields = ["full_name", "email", "organisation__name", "organisation__slug"]
    autocomplete_fields = ["organisation", "user", "place", "topics"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["organisation", "full_name", "user", "topics", "languages", "place"]}),
        (_("Availability"), {"fields": ["on_camera", "paused"]}),
        (
            _("Private contacts"),
            {
                "fields": ["email", "phone", "share_email", "share_phone"],
                "description": _(
                    "Never in a public page, API response or export; staff see them here. "
                    "The share flags say which contact the expert agrees to give a journalist."
                ),
            },
        ),
        (_("Record"), {"fields": [("created_at", "updated_at")]}),
    ]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return prefetching_changelist(lambda: "topics")

    @admin.display(description=_("topics"))
    def topic_list(self, obj: Expert) -> str:
        return format_html_join(", ", "{}", ((t.name_ru,) for t in obj.topics.all()))

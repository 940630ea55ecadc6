"""The outgoing-mail table in the admin: read-only, so an operator can see what
waits, what failed and why (the body only to superusers: it can carry an
expert's contacts)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from orgs.models import OutgoingEmail, OutgoingEmailStatus


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "status", "attempts", "next_attempt_at", "sent_at", "last_error", "subject"]
    list_filter = ["status"]
    date_hierarchy = "created_at"
    actions = ["queue_again"]

    def get_fields(self, request: HttpRequest, obj: OutgoingEmail | None = None) -> Any:
        fields = ["status", "attempts", "last_error", "created_at", "next_attempt_at", "sent_at", "subject"]
        if request.user.is_superuser:
            fields += ["from_email", "to", "cc", "bcc", "reply_to", "headers", "body", "html_body"]
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: OutgoingEmail | None = None) -> Any:
        return self.get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutgoingEmail | None = None) -> bool:
        # Viewing only; the action below is the one change allowed.
        return False

    @admin.action(description="Queue again now (after fixing the mail server)", permissions=["view"])
    def queue_again(self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]) -> None:
        count = queryset.exclude(status=OutgoingEmailStatus.SENT).update(
            status=OutgoingEmailStatus.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
        messages.success(request, f"{count} message(s) queued again.")

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("queue_again", None)
        return actions

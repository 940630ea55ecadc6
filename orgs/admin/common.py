"""What several admins share: the self-hosted map widget, the "published needs a
presence" guard (checked inside the admin's transaction so a violation is
shown on the form), and list pages that prefetch what their columns show.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.contrib.gis.admin.options import GeoModelAdminMixin
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from orgs.search import index as search_index
from orgs.widgets import LocalMapWidget

PRESENCE_ERROR = _(
    "A published organisation needs at least one location or a service offered online or by phone. "
    "Add one, or set the organisation's status to Draft or Pending review."
)


class LocalMapMixin(GeoModelAdminMixin):
    """Every geometry field (point, polygon) gets the self-hosted map widget."""

    gis_widget = LocalMapWidget


# --- the "published needs a presence" rule ------------------------------------------

# The rule spans three tables, so the database checks it with deferred constraint
# triggers (migration 0003) at commit. At commit the admin could only answer with
# a server error; checked right after the admin's own writes, inside its
# transaction, a violation can still be shown on the form.
_PRESENCE_TRIGGERS = "org_published_has_presence, location_removal_keeps_presence, service_removal_keeps_presence"
_PRESENCE_CHECK_NOW = f"SET CONSTRAINTS {_PRESENCE_TRIGGERS} IMMEDIATE"
_PRESENCE_CHECK_AT_COMMIT = f"SET CONSTRAINTS {_PRESENCE_TRIGGERS} DEFERRED"


class PresenceViolation(Exception):
    """The admin's change would leave a published organisation impossible to find."""


def check_presence_now(using: str) -> None:
    try:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            cursor.execute(_PRESENCE_CHECK_NOW)
            cursor.execute(_PRESENCE_CHECK_AT_COMMIT)
    except IntegrityError as exc:
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) != "org_published_has_presence":
            raise
        raise PresenceViolation from exc


# Requests whose save was refused by the rule; their form is shown again with the error.
_presence_refused: weakref.WeakSet[HttpRequest] = weakref.WeakSet()


class PresenceGuardMixin(admin.ModelAdmin):
    """For the admins whose writes can break the rule: Organisation, Location, Service."""

    def _db(self) -> str:
        return router.db_for_write(self.model)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: Any) -> None:
        super().save_related(request, form, formsets, change)
        check_presence_now(self._db())

    # Deleting an organisation cascades to its locations and services, and each
    # of their signals would rewrite the organisation's search rows: deferred()
    # rewrites them once, when the delete is done.
    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with search_index.deferred():
            super().delete_model(request, obj)
        check_presence_now(self._db())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic(using=self._db()):
            with search_index.deferred():
                super().delete_queryset(request, queryset)
            check_presence_now(self._db())

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        if request not in _presence_refused:
            return form_class

        class RefusedForm(form_class):  # type: ignore[valid-type,misc]
            def clean(self) -> dict[str, Any]:
                super().clean()
                raise forms.ValidationError(PRESENCE_ERROR, code="published_without_presence")

        return RefusedForm

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except PresenceViolation:
            # Everything was rolled back; validate the same POST again, this
            # time with the error on the form, so nothing the user typed is lost.
            _presence_refused.add(request)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> Any:
        try:
            return super().delete_view(request, object_id, extra_context)
        except PresenceViolation:
            self.message_user(request, PRESENCE_ERROR, messages.ERROR)
            opts = self.opts
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[quote(object_id)],
                current_app=self.admin_site.name,
            )
            return HttpResponseRedirect(url)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        try:
            return super().changelist_view(request, extra_context)
        except PresenceViolation:
            self.message_user(request, PRESENCE_ERROR, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def prefetching_changelist(*lookups: Callable[[], str | Prefetch]) -> type[ChangeList]:
    """A changelist that prefetches what its columns show. Only the list pays for
    it; in get_queryset() the change form's object would carry the prefetched
    rows, stale once its inlines are saved."""

    class PrefetchingChangeList(ChangeList):
        def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
            queryset = super().get_queryset(request, exclude_parameters)
            return queryset.prefetch_related(*(lookup() for lookup in lookups))

    return PrefetchingChangeList

"""A listing's recorded versions (django-simple-history): list them, and
restore one."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import write_errors
from api.partner.common import PartnerView, team_organisation, valid
from api.serializers import JSONInput
from orgs import lookups, services
from orgs.permissions import signed_in_user


class RestoreInput(JSONInput):
    history_id = serializers.IntegerField()


@extend_schema_field(serializers.ListField(child=serializers.CharField()))
class ChangedFieldsField(serializers.Field):
    """The fields a version changed against the one recorded before it (none for the first)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", **kwargs)

    def to_representation(self, version: Any) -> list[str]:
        previous = version.prev_record
        return [c.field for c in version.diff_against(previous).changes] if previous else []


class VersionOutput(serializers.Serializer):
    history_id = serializers.IntegerField()
    date = serializers.DateTimeField(source="history_date")
    type = serializers.ChoiceField(
        source="history_type", choices=["+", "~", "-"], help_text="+ created, ~ changed, - deleted."
    )
    # Null when no account made the change (a data import, a management command).
    user = serializers.CharField(source="history_user.username", allow_null=True)
    name = serializers.CharField()
    status = serializers.CharField()
    changed = ChangedFieldsField()


class RestoredOutput(serializers.Serializer):
    restored = serializers.IntegerField()


class HistoryView(PartnerView):
    @extend_schema(
        summary="Every recorded version of a listing you manage",
        responses={200: VersionOutput(many=True), **write_errors(bad_request=False)},
    )
    def get(self, request: Request, slug: str) -> Response:
        org = team_organisation(request, slug)
        versions = org.history.select_related("history_user").order_by("-history_date")
        return Response(VersionOutput(versions, many=True).data)


class RestoreView(PartnerView):
    @extend_schema(
        summary="Restore a recorded version", request=RestoreInput, responses={200: RestoredOutput, **write_errors()}
    )
    def post(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        data = valid(RestoreInput, request)
        services.organisation_restore(user=signed_in_user(request), organisation=org, history_id=data["history_id"])
        return Response(RestoredOutput({"restored": data["history_id"]}).data)

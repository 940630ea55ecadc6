"""A listing's identifiers in other countries' registries (the Russian ОГРН and
ИНН are fields of the organisation itself): read and replace the whole list."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import write_errors
from api.partner.common import ChangeOutput, PartnerView, change, team_organisation, valid
from api.serializers import JSONInput
from orgs import lookups, services
from orgs.permissions import signed_in_user


class IdentifierInput(JSONInput):
    scheme = serializers.CharField(max_length=60)
    identifier = serializers.CharField(max_length=60)
    country = serializers.RegexField(r"^[A-Z]{2}$", required=False, allow_blank=True)


class IdentifiersInput(JSONInput):
    # The stubs do not know ListSerializer's max_length (DRF 3.15+).
    identifiers = IdentifierInput(  # type: ignore[call-arg]
        many=True, max_length=10, help_text="The whole list; an empty list removes them all."
    )


class IdentifierOutput(serializers.Serializer):
    scheme = serializers.CharField()
    identifier = serializers.CharField()
    country = serializers.CharField(allow_blank=True)


class IdentifiersOutput(serializers.Serializer):
    identifiers = IdentifierOutput(many=True)


class IdentifiersView(PartnerView):
    @extend_schema(
        summary="Other registry identifiers of an organisation you manage",
        responses={200: IdentifiersOutput, **write_errors(bad_request=False)},
    )
    def get(self, request: Request, slug: str) -> Response:
        org = team_organisation(request, slug)
        return Response(IdentifiersOutput({"identifiers": org.identifiers.order_by("scheme", "identifier")}).data)

    @extend_schema(
        summary="Replace the other registry identifiers",
        description=(
            "Add, change or remove other countries' identifiers by sending the whole list. For a published "
            "listing an owner's or editor's change waits for approval as a change request (old and new lists)."
        ),
        request=IdentifiersInput,
        responses={200: ChangeOutput, **write_errors()},
    )
    def put(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        data = valid(IdentifiersInput, request)
        change_request = services.organisation_update(
            user=signed_in_user(request), organisation=org, changes={"identifiers": data["identifiers"]}
        )
        return Response(ChangeOutput(change(change_request)).data)

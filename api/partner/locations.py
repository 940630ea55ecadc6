"""A listing's places: add one, edit one, remove one. On a published listing
an owner's or editor's change waits for a moderator as a change request."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import write_errors
from api.partner.common import ChangeOutput, ChangeRequestOutput, PartnerView, change, valid
from api.serializers import LAT_LON_PAIR, JSONInput
from orgs import lookups, services
from orgs import models as m
from orgs.permissions import signed_in_user


class HoursInput(JSONInput):
    weekday = serializers.IntegerField(min_value=0, max_value=6)
    opens = serializers.TimeField()
    closes = serializers.TimeField()


class LocationInput(JSONInput):
    name = serializers.CharField(required=False, allow_blank=True, max_length=300)
    kind = serializers.ChoiceField(choices=m.LocationKind.choices, required=False)
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, min_value=-180, max_value=180)
    place = serializers.IntegerField(required=False, help_text="Gazetteer id of the town, instead of a point.")
    visibility = serializers.ChoiceField(choices=m.Visibility.choices, required=False)
    address = serializers.CharField(required=False, allow_blank=True, max_length=500)
    city = serializers.CharField(required=False, allow_blank=True, max_length=200)
    region = serializers.CharField(required=False, allow_blank=True, max_length=200)
    country = serializers.RegexField(r"^[A-Z]{2}$", required=False)
    timezone = serializers.CharField(required=False, max_length=64)
    accessibility = serializers.CharField(required=False, allow_blank=True)
    languages = serializers.ListField(child=serializers.RegexField(r"^[a-z]{2,3}$"), required=False, max_length=10)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    hours = HoursInput(many=True, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("lat" in attrs) != ("lon" in attrs):
            # The public API's words (and translation) for the same mistake.
            raise serializers.ValidationError({"lat": [LAT_LON_PAIR]})
        return attrs


class LocationAddedOutput(serializers.Serializer):
    # Not a ChangeOutput subclass: a subclass lists its parent's fields first,
    # and the answer has always begun with the id.
    id = serializers.IntegerField(allow_null=True, help_text="The new place; null while it waits for approval.")
    applied = serializers.BooleanField(help_text="True: live at once; false: waits for a moderator.")
    change_request = ChangeRequestOutput(allow_null=True)


class LocationEditView(PartnerView):
    @extend_schema(
        summary="Edit a location of an organisation you manage",
        request=LocationInput,
        responses={200: ChangeOutput, **write_errors()},
    )
    def patch(self, request: Request, pk: int) -> Response:
        location = lookups.visible_location(request.user, pk)
        data = valid(LocationInput, request, partial=True)
        change_request = services.location_update(user=signed_in_user(request), location=location, changes=data)
        return Response(ChangeOutput(change(change_request)).data)

    @extend_schema(
        summary="Remove a place",
        description=(
            "Removed at once (204) for a listing not published yet or by a site moderator; for a published "
            "listing the removal waits for approval (202). A published listing keeps a place or an online or "
            "phone service (400 otherwise)."
        ),
        request=None,
        responses={202: ChangeOutput, 204: None, **write_errors()},
    )
    def delete(self, request: Request, pk: int) -> Response:
        location = lookups.visible_location(request.user, pk)
        change_request = services.location_remove(user=signed_in_user(request), location=location)
        if change_request is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(ChangeOutput(change(change_request)).data, status=status.HTTP_202_ACCEPTED)


class LocationCreateView(PartnerView):
    @extend_schema(
        summary="Add a place to an organisation you manage",
        description=(
            "Live at once (201) for a listing not published yet or by a site moderator; for a published "
            "listing the new place waits for approval (202) as a change request holding all its fields."
        ),
        request=LocationInput,
        responses={201: LocationAddedOutput, 202: LocationAddedOutput, **write_errors()},
    )
    def post(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        data = valid(LocationInput, request)
        result = services.location_add(user=signed_in_user(request), organisation=org, data=data)
        if isinstance(result, m.ChangeRequest):
            waiting = {"id": None, **change(result)}
            return Response(LocationAddedOutput(waiting).data, status=status.HTTP_202_ACCEPTED)
        added = {"id": result.pk, **change(None)}
        return Response(LocationAddedOutput(added).data, status=status.HTTP_201_CREATED)

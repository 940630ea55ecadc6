"""A listing itself: register one (with its places, services and coalition
applications), edit it, and confirm it is still accurate."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import write_errors
from api.partner.common import ChangeOutput, PartnerView, SlugStatusOutput, change, valid
from api.partner.identifiers import IdentifierInput
from api.partner.locations import LocationInput
from api.partner.memberships import NetworkApplicationInput
from api.partner.services import ServiceInput
from api.serializers import JSONInput
from orgs import lookups, services
from orgs import models as m
from orgs.permissions import signed_in_user


class OrganisationFieldsInput(JSONInput):
    name = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    description_en = serializers.CharField(required=False, allow_blank=True)
    description_uk = serializers.CharField(required=False, allow_blank=True)
    legal_form = serializers.ChoiceField(choices=m.LegalForm.choices, required=False)
    country = serializers.RegexField(r"^[A-Z]{2}$", required=False)
    ogrn = serializers.CharField(required=False, allow_blank=True, max_length=15)
    inn = serializers.CharField(required=False, allow_blank=True, max_length=12)
    website = serializers.URLField(required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    social_links = serializers.ListField(child=serializers.URLField(), required=False, max_length=10)


class RegistrationInput(OrganisationFieldsInput):
    identifiers = IdentifierInput(many=True, required=False)
    locations = LocationInput(many=True, required=False)
    services = ServiceInput(many=True, required=False)
    networks = NetworkApplicationInput(many=True, required=False)
    confirm_not_duplicate = serializers.BooleanField(required=False, default=False)


class OrganisationUpdateInput(OrganisationFieldsInput):
    name = serializers.CharField(max_length=300, required=False)
    identifiers = IdentifierInput(
        many=True,
        required=False,
        help_text="Other countries' registry identifiers: the whole list (it replaces the current one).",
    )


class DuplicateOutput(serializers.Serializer):
    slug = serializers.SlugField(source="organisation.slug")
    name = serializers.CharField(source="organisation.name")
    reason = serializers.CharField()


class DuplicateConflictOutput(serializers.Serializer):
    detail = serializers.CharField()
    overridable = serializers.BooleanField(help_text="True when confirm_not_duplicate may override it.")
    duplicates = DuplicateOutput(many=True)


class VerifiedOutput(serializers.Serializer):
    last_verified_at = serializers.DateField(allow_null=True)


class RegisterOrganisationView(PartnerView):
    @extend_schema(
        summary="Register an organisation (starts as pending)",
        request=RegistrationInput,
        responses={201: SlugStatusOutput, 409: DuplicateConflictOutput, **write_errors(not_found=False)},
    )
    def post(self, request: Request) -> Response:
        data = valid(RegistrationInput, request)
        confirm = data.pop("confirm_not_duplicate")
        try:
            org = services.organisation_register(user=signed_in_user(request), data=data, confirm_not_duplicate=confirm)
        except services.DuplicateSuspected as exc:
            conflict = {"detail": exc.messages[0], "overridable": exc.overridable, "duplicates": exc.duplicates}
            return Response(DuplicateConflictOutput(conflict).data, status=status.HTTP_409_CONFLICT)
        return Response(SlugStatusOutput(org).data, status=status.HTTP_201_CREATED)


class OrganisationEditView(PartnerView):
    @extend_schema(
        summary="Edit an organisation you manage",
        request=OrganisationUpdateInput,
        responses={200: ChangeOutput, **write_errors()},
    )
    def patch(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        data = valid(OrganisationUpdateInput, request, partial=True)
        change_request = services.organisation_update(user=signed_in_user(request), organisation=org, changes=data)
        return Response(ChangeOutput(change(change_request)).data)


class ConfirmAccurateView(PartnerView):
    @extend_schema(
        summary="Confirm the listing is still accurate",
        request=None,
        responses={200: VerifiedOutput, **write_errors(bad_request=False)},
    )
    def post(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        org = services.organisation_confirm_accurate(organisation=org, user=signed_in_user(request))
        return Response(VerifiedOutput(org).data)

"""Write API for partners, coordinators and moderators.

Session-authenticated (CSRF-checked). Input serializers check types and shapes;
the services in orgs.services check permissions and business rules, so the web
forms and this API behave the same.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import write_errors
from api.serializers import JSONInput
from orgs import lookups, permissions, services
from orgs import models as m
from orgs.permissions import signed_in_user

# --- input -----------------------------------------------------------------------


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
            raise serializers.ValidationError({"lat": ["lat and lon go together: give both."]})
        return attrs


class ServiceInput(JSONInput):
    name = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    categories = serializers.ListField(child=serializers.SlugField(), min_length=1, max_length=20)
    target_groups = serializers.ListField(child=serializers.SlugField(), required=False, max_length=20)
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=m.ServiceFormat.choices), min_length=1, max_length=3
    )
    is_free = serializers.BooleanField(required=False, default=True)
    min_age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=120)
    max_age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=120)
    eligibility = serializers.CharField(required=False, allow_blank=True)
    languages = serializers.ListField(child=serializers.RegexField(r"^[a-z]{2,3}$"), required=False, max_length=10)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    email = serializers.EmailField(required=False, allow_blank=True)
    url = serializers.URLField(required=False, allow_blank=True)
    area_kind = serializers.ChoiceField(choices=m.AreaKind.choices, required=False)
    area_country = serializers.RegexField(r"^[A-Z]{2}$", required=False, allow_blank=True)
    area_region = serializers.CharField(required=False, allow_blank=True, max_length=20)
    area_place = serializers.IntegerField(required=False)
    area_radius_km = serializers.IntegerField(required=False, min_value=1, max_value=5000)
    locations = serializers.ListField(
        child=serializers.IntegerField(min_value=0), required=False, help_text="Indexes into the locations list."
    )


class NetworkApplicationInput(JSONInput):
    network = serializers.SlugField()
    role = serializers.ChoiceField(choices=m.MembershipRole.choices)


class IdentifierInput(JSONInput):
    scheme = serializers.CharField(max_length=60)
    identifier = serializers.CharField(max_length=60)
    country = serializers.RegexField(r"^[A-Z]{2}$", required=False, allow_blank=True)


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


class IdentifiersInput(JSONInput):
    # The stubs do not know ListSerializer's max_length (DRF 3.15+).
    identifiers = IdentifierInput(  # type: ignore[call-arg]
        many=True, max_length=10, help_text="The whole list; an empty list removes them all."
    )


class InvitationInput(JSONInput):
    email = serializers.EmailField(max_length=254, help_text="Where the invitation link is sent.")


class AcceptInvitationInput(JSONInput):
    token = serializers.CharField(max_length=500, help_text="The token from the e-mailed invitation link.")


class ModerationInput(JSONInput):
    status = serializers.ChoiceField(choices=["published", "rejected", "suspended"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionInput(JSONInput):
    approve = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class MembershipDecisionInput(JSONInput):
    decision = serializers.ChoiceField(choices=["accept", "accept_as_candidate", "reject", "suspend", "exclude"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class MembershipApplyInput(JSONInput):
    organisation = serializers.SlugField()
    network = serializers.SlugField()
    role = serializers.ChoiceField(choices=m.MembershipRole.choices)


class RecommendInput(JSONInput):
    recommender = serializers.SlugField(help_text="Slug of your member organisation.")
    text = serializers.CharField(required=False, allow_blank=True, default="")


class RestoreInput(JSONInput):
    history_id = serializers.IntegerField()


# --- output (what each endpoint answers; documented for the OpenAPI schema) ------------


class SlugStatusOutput(serializers.Serializer):
    slug = serializers.SlugField()
    status = serializers.ChoiceField(choices=m.PublicationStatus.choices)


class DuplicateOutput(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    reason = serializers.CharField()


class DuplicateConflictOutput(serializers.Serializer):
    detail = serializers.CharField()
    overridable = serializers.BooleanField(help_text="True when confirm_not_duplicate may override it.")
    duplicates = DuplicateOutput(many=True)


class ChangeRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=m.Decision.choices)
    changes = serializers.DictField(help_text="Field name to its old and new value.")


class ChangeOutput(serializers.Serializer):
    applied = serializers.BooleanField(help_text="True: live at once; false: waits for a moderator.")
    change_request = ChangeRequestOutput(allow_null=True)


class LocationAddedOutput(ChangeOutput):
    id = serializers.IntegerField(allow_null=True, help_text="The new place; null while it waits for approval.")


class IdentifierOutput(serializers.Serializer):
    scheme = serializers.CharField()
    identifier = serializers.CharField()
    country = serializers.CharField(allow_blank=True)


class IdentifiersOutput(serializers.Serializer):
    identifiers = IdentifierOutput(many=True)


class EditorOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The access; DELETE …/editors/{id} removes an editor.")
    email = serializers.CharField(allow_blank=True)
    # Text, not an enum: an enum of a field named "role" would clash in the schema with the coalition roles'.
    role = serializers.CharField(help_text="owner or editor")
    since = serializers.DateTimeField()


class InvitationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    expires_at = serializers.DateTimeField()


class EditorsOutput(serializers.Serializer):
    editors = EditorOutput(many=True)
    invitations = InvitationOutput(many=True, help_text="Sent and not answered yet.")


class AcceptedOutput(serializers.Serializer):
    organisation = serializers.SlugField()
    role = serializers.CharField(help_text="owner or editor")


class IdOutput(serializers.Serializer):
    id = serializers.IntegerField()


class IdStatusOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class VerifiedOutput(serializers.Serializer):
    last_verified_at = serializers.DateField(allow_null=True)


class VersionOutput(serializers.Serializer):
    history_id = serializers.IntegerField()
    date = serializers.DateTimeField()
    type = serializers.ChoiceField(choices=["+", "~", "-"], help_text="+ created, ~ changed, - deleted.")
    user = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    status = serializers.CharField()
    changed = serializers.ListField(child=serializers.CharField())


class RestoredOutput(serializers.Serializer):
    restored = serializers.IntegerField()


class RecommendationsOutput(serializers.Serializer):
    recommendations = serializers.IntegerField()


class MembershipDecisionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.ChoiceField(choices=m.MembershipRole.choices)
    status = serializers.ChoiceField(choices=m.MembershipStatus.choices)
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)


class QueuePossibleDuplicateOutput(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=m.PublicationStatus.choices)
    reason = serializers.ChoiceField(choices=["identifier", "similar_name"])


class QueueOrganisationOutput(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()
    possible_duplicates = QueuePossibleDuplicateOutput(
        many=True, help_text="Listings of any status this one may duplicate (moderators only)."
    )


class QueueChangeRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.SlugField()
    changes = serializers.DictField(
        help_text=(
            'Field name to {"old": …, "new": …}. "identifiers": the whole list of other registry identifiers; '
            '"location": a whole place, {"old": null, "new": {…}} to add it, {"old": {…}, "new": null} to remove it.'
        )
    )
    created_at = serializers.DateTimeField()


class QueueClaimOutput(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.SlugField()
    message = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class QueueMembershipOutput(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.SlugField()
    network = serializers.SlugField()
    role = serializers.ChoiceField(choices=m.MembershipRole.choices)
    recommendations = serializers.IntegerField()
    needed = serializers.IntegerField()


class QueueCandidateOutput(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.SlugField()
    network = serializers.SlugField()
    until = serializers.DateField(allow_null=True)


class ModerationQueueOutput(serializers.Serializer):
    organisations = QueueOrganisationOutput(many=True)
    change_requests = QueueChangeRequestOutput(many=True)
    claims = QueueClaimOutput(many=True)
    memberships = QueueMembershipOutput(many=True)
    candidates_due = QueueCandidateOutput(many=True)


class ClaimInput(JSONInput):
    message = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


def _valid(serializer_class: type[serializers.Serializer], request: Request, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _change_response(change_request: m.ChangeRequest | None) -> dict[str, Any]:
    if change_request is None:
        return {"applied": True, "change_request": None}
    return {
        "applied": False,
        "change_request": {"id": change_request.pk, "status": change_request.status, "changes": change_request.changes},
    }


# --- partner endpoints ------------------------------------------------------------------


class PartnerView(APIView):
    permission_classes = [IsAuthenticated]


class RegisterOrganisationView(PartnerView):
    @extend_schema(
        summary="Register an organisation (starts as pending)",
        request=RegistrationInput,
        responses={201: SlugStatusOutput, 409: DuplicateConflictOutput, **write_errors(not_found=False)},
    )
    def post(self, request: Request) -> Response:
        data = _valid(RegistrationInput, request)
        confirm = data.pop("confirm_not_duplicate")
        try:
            org = services.organisation_register(user=signed_in_user(request), data=data, confirm_not_duplicate=confirm)
        except services.DuplicateSuspected as exc:
            return Response(
                {
                    "detail": exc.messages[0],
                    "overridable": exc.overridable,
                    "duplicates": [
                        {"slug": d.organisation.slug, "name": d.organisation.name, "reason": d.reason}
                        for d in exc.duplicates
                    ],
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response({"slug": org.slug, "status": org.status}, status=status.HTTP_201_CREATED)


class OrganisationEditView(PartnerView):
    @extend_schema(
        summary="Edit an organisation you manage",
        request=OrganisationUpdateInput,
        responses={200: ChangeOutput, **write_errors()},
    )
    def patch(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        data = _valid(OrganisationUpdateInput, request, partial=True)
        return Response(
            _change_response(services.organisation_update(user=signed_in_user(request), organisation=org, changes=data))
        )


class LocationEditView(PartnerView):
    @extend_schema(
        summary="Edit a location of an organisation you manage",
        request=LocationInput,
        responses={200: ChangeOutput, **write_errors()},
    )
    def patch(self, request: Request, pk: int) -> Response:
        location = lookups.visible_location(request.user, pk)
        data = _valid(LocationInput, request, partial=True)
        change_request = services.location_update(user=signed_in_user(request), location=location, changes=data)
        return Response(_change_response(change_request))

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
        return Response(_change_response(change_request), status=status.HTTP_202_ACCEPTED)


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
        data = _valid(LocationInput, request)
        result = services.location_add(user=signed_in_user(request), organisation=org, data=data)
        if isinstance(result, m.ChangeRequest):
            return Response({"id": None, **_change_response(result)}, status=status.HTTP_202_ACCEPTED)
        return Response({"id": result.pk, **_change_response(None)}, status=status.HTTP_201_CREATED)


class IdentifiersView(PartnerView):
    @extend_schema(
        summary="Other registry identifiers of an organisation you manage",
        responses={200: IdentifiersOutput, **write_errors(bad_request=False)},
    )
    def get(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        if not (
            permissions.can_edit_organisation(request.user, org)
            or permissions.can_moderate_organisation(request.user, org)
        ):
            return Response({"detail": str(services.NOT_ALLOWED)}, status=status.HTTP_403_FORBIDDEN)
        identifiers = org.identifiers.order_by("scheme", "identifier")
        return Response({"identifiers": [IdentifierOutput(i).data for i in identifiers]})

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
        data = _valid(IdentifiersInput, request)
        change_request = services.organisation_update(
            user=signed_in_user(request), organisation=org, changes={"identifiers": data["identifiers"]}
        )
        return Response(_change_response(change_request))


def _manageable(request: Request, slug: str) -> m.Organisation:
    org = lookups.visible_organisation(request.user, slug)
    if not permissions.can_manage_editors(request.user, org):
        raise PermissionDenied(str(services.NOT_OWNER))
    return org


class EditorsView(PartnerView):
    @extend_schema(
        summary="Who edits an organisation you own, and the invitations waiting",
        description="Owners and site moderators only: the addresses are personal data.",
        responses={200: EditorsOutput, **write_errors(bad_request=False)},
    )
    def get(self, request: Request, slug: str) -> Response:
        org = _manageable(request, slug)
        access = org.access.select_related("user").order_by("created_at")
        invitations = org.invitations.filter(
            status=m.EditorInvitationStatus.PENDING, expires_at__gt=timezone.now()
        ).order_by("created_at")
        return Response(
            {
                "editors": [
                    {"id": a.pk, "email": a.user.email or a.user.get_username(), "role": a.role, "since": a.created_at}
                    for a in access
                ],
                "invitations": [{"id": i.pk, "email": i.email, "expires_at": i.expires_at} for i in invitations],
            }
        )


class EditorRemoveView(PartnerView):
    @extend_schema(
        summary="Remove an editor (owners and moderators; an editor may remove themself)",
        request=None,
        responses={204: None, **write_errors()},
    )
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        lookups.require_team(request.user, lookups.visible_organisation(request.user, slug))
        access = get_object_or_404(
            m.OrganisationAccess.objects.select_related("organisation"), pk=pk, organisation__slug=slug
        )
        services.editor_remove(user=signed_in_user(request), access=access)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationCreateView(PartnerView):
    @extend_schema(
        summary="Invite an editor by e-mail (owners and moderators)",
        description="The address gets a signed link that expires; inviting it again renews the invitation.",
        request=InvitationInput,
        responses={201: InvitationOutput, **write_errors()},
    )
    def post(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        data = _valid(InvitationInput, request)
        invitation = services.invitation_create(
            user=signed_in_user(request),
            organisation=org,
            email=data["email"],
            accept_url=request.build_absolute_uri(reverse("frontend:partner:invitation")),
        )
        return Response(
            {"id": invitation.pk, "email": invitation.email, "expires_at": invitation.expires_at},
            status=status.HTTP_201_CREATED,
        )


class InvitationRevokeView(PartnerView):
    @extend_schema(
        summary="Withdraw an invitation not answered yet", request=None, responses={204: None, **write_errors()}
    )
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        lookups.require_team(request.user, lookups.visible_organisation(request.user, slug))
        invitation = get_object_or_404(
            m.OrganisationInvitation.objects.select_related("organisation"), pk=pk, organisation__slug=slug
        )
        services.invitation_revoke(user=signed_in_user(request), invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptView(PartnerView):
    @extend_schema(
        summary="Accept an invitation to edit (signed in with the invited address)",
        request=AcceptInvitationInput,
        responses={200: AcceptedOutput, **write_errors(not_found=False)},
    )
    def post(self, request: Request) -> Response:
        data = _valid(AcceptInvitationInput, request)
        access = services.invitation_accept(user=signed_in_user(request), token=data["token"])
        return Response({"organisation": access.organisation.slug, "role": access.role})


class ServiceCreateView(PartnerView):
    @extend_schema(summary="Add a service", request=ServiceInput, responses={201: IdOutput, **write_errors()})
    def post(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        data = _valid(ServiceInput, request)
        service = services.service_save(user=signed_in_user(request), organisation=org, data=data)
        return Response({"id": service.pk}, status=status.HTTP_201_CREATED)


class ServiceEditView(PartnerView):
    @extend_schema(summary="Edit a service", request=ServiceInput, responses={200: IdOutput, **write_errors()})
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        service = get_object_or_404(m.Service, pk=pk, organisation=org)
        data = _valid(ServiceInput, request, partial=True)
        services.service_save(user=signed_in_user(request), organisation=org, data=data, service=service)
        return Response({"id": service.pk})


class ConfirmAccurateView(PartnerView):
    @extend_schema(
        summary="Confirm the listing is still accurate",
        request=None,
        responses={200: VerifiedOutput, **write_errors(bad_request=False)},
    )
    def post(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        org = services.organisation_confirm_accurate(organisation=org, user=signed_in_user(request))
        return Response({"last_verified_at": org.last_verified_at})


class ClaimView(PartnerView):
    @extend_schema(
        summary="This is us: ask to manage a listing",
        request=ClaimInput,
        responses={201: IdStatusOutput, **write_errors()},
    )
    def post(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        data = _valid(ClaimInput, request)
        claim = services.claim_create(user=signed_in_user(request), organisation=org, message=data["message"])
        return Response({"id": claim.pk, "status": claim.status}, status=status.HTTP_201_CREATED)


class HistoryView(PartnerView):
    @extend_schema(
        summary="Every recorded version of a listing you manage",
        responses={200: VersionOutput(many=True), **write_errors(bad_request=False)},
    )
    def get(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        if not (
            permissions.can_edit_organisation(request.user, org)
            or permissions.can_moderate_organisation(request.user, org)
        ):
            return Response({"detail": str(services.NOT_ALLOWED)}, status=status.HTTP_403_FORBIDDEN)
        versions = org.history.select_related("history_user").order_by("-history_date")
        return Response(
            [
                {
                    "history_id": v.history_id,
                    "date": v.history_date,
                    "type": v.history_type,
                    "user": getattr(v.history_user, "username", None),
                    "name": v.name,
                    "status": v.status,
                    "changed": [c.field for c in v.diff_against(v.prev_record).changes] if v.prev_record else [],
                }
                for v in versions
            ]
        )


class RestoreView(PartnerView):
    @extend_schema(
        summary="Restore a recorded version", request=RestoreInput, responses={200: RestoredOutput, **write_errors()}
    )
    def post(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        data = _valid(RestoreInput, request)
        services.organisation_restore(user=signed_in_user(request), organisation=org, history_id=data["history_id"])
        return Response({"restored": data["history_id"]})


class MembershipApplyView(PartnerView):
    @extend_schema(
        summary="Apply to a coalition", request=MembershipApplyInput, responses={201: IdStatusOutput, **write_errors()}
    )
    def post(self, request: Request) -> Response:
        data = _valid(MembershipApplyInput, request)
        org = lookups.visible_organisation(request.user, data["organisation"])
        network = get_object_or_404(m.Network, slug=data["network"])
        ms = services.membership_apply(
            user=signed_in_user(request), organisation=org, network=network, role=data["role"]
        )
        return Response({"id": ms.pk, "status": ms.status}, status=status.HTTP_201_CREATED)


class RecommendView(PartnerView):
    @extend_schema(
        summary="Recommend an applicant (members only)",
        request=RecommendInput,
        responses={201: RecommendationsOutput, **write_errors()},
    )
    def post(self, request: Request, pk: int) -> Response:
        membership = lookups.visible_membership(request.user, pk)
        data = _valid(RecommendInput, request)
        recommender = lookups.visible_organisation(request.user, data["recommender"])
        services.membership_recommend(
            user=signed_in_user(request), recommender=recommender, membership=membership, text=data["text"]
        )
        return Response({"recommendations": membership.recommendations.count()}, status=status.HTTP_201_CREATED)


# --- moderation ------------------------------------------------------------------------


class ModerationQueueView(PartnerView):
    @extend_schema(
        summary="What waits for your decision",
        responses={200: ModerationQueueOutput, **write_errors(bad_request=False, not_found=False)},
    )
    def get(self, request: Request) -> Response:
        from orgs.moderation import moderation_queue

        return Response(moderation_queue(user=signed_in_user(request)))


class ModerateOrganisationView(PartnerView):
    @extend_schema(
        summary="Publish, reject or suspend a listing",
        request=ModerationInput,
        responses={200: SlugStatusOutput, **write_errors()},
    )
    def post(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        data = _valid(ModerationInput, request)
        org = services.organisation_moderate(
            user=signed_in_user(request), organisation=org, base_url=request.build_absolute_uri("/"), **data
        )
        return Response({"slug": org.slug, "status": org.status})


class DecideChangeRequestView(PartnerView):
    @extend_schema(
        summary="Approve or reject a change request",
        request=DecisionInput,
        responses={200: IdStatusOutput, **write_errors()},
    )
    def post(self, request: Request, pk: int) -> Response:
        cr = lookups.visible_change_request(request.user, pk)
        data = _valid(DecisionInput, request)
        cr = services.change_request_decide(user=signed_in_user(request), change_request=cr, **data)
        return Response({"id": cr.pk, "status": cr.status})


class DecideClaimView(PartnerView):
    @extend_schema(
        summary="Approve or reject a claim", request=DecisionInput, responses={200: IdStatusOutput, **write_errors()}
    )
    def post(self, request: Request, pk: int) -> Response:
        claim = lookups.visible_claim(request.user, pk)
        data = _valid(DecisionInput, request)
        claim = services.claim_decide(user=signed_in_user(request), claim=claim, **data)
        return Response({"id": claim.pk, "status": claim.status})


class DecideMembershipView(PartnerView):
    @extend_schema(
        summary="Decide a membership by the coalition's rules",
        request=MembershipDecisionInput,
        responses={200: MembershipDecisionOutput, **write_errors()},
    )
    def post(self, request: Request, pk: int) -> Response:
        membership = lookups.visible_membership(request.user, pk)
        data = _valid(MembershipDecisionInput, request)
        ms = services.membership_decide(user=signed_in_user(request), membership=membership, **data)
        return Response({"id": ms.pk, "role": ms.role, "status": ms.status, "since": ms.since, "until": ms.until})

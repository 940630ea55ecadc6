"""Who may edit a listing: its owners and editors, the invitations sent by
e-mail to new editors, and accepting one."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import write_errors
from api.partner.common import PartnerView, valid
from api.serializers import JSONInput
from orgs import lookups, permissions, services
from orgs import models as m
from orgs.permissions import signed_in_user


class InvitationInput(JSONInput):
    email = serializers.EmailField(max_length=254, help_text="Where the invitation link is sent.")


class AcceptInvitationInput(JSONInput):
    token = serializers.CharField(max_length=500, help_text="The token from the e-mailed invitation link.")


@extend_schema_field(serializers.CharField(allow_blank=True))
class AccountAddressField(serializers.Field):
    """How a team member is named to the owner: the account's e-mail address,
    or its user name when the account has none."""

    def to_representation(self, value: User) -> str:
        return value.email or value.get_username()


class EditorOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The access; DELETE …/editors/{id} removes an editor.")
    email = AccountAddressField(source="user")
    # Text, not an enum: an enum of a field named "role" would clash in the schema with the coalition roles'.
    role = serializers.CharField(help_text="owner or editor")
    since = serializers.DateTimeField(source="created_at")


class InvitationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    expires_at = serializers.DateTimeField()


class EditorsOutput(serializers.Serializer):
    editors = EditorOutput(many=True)
    invitations = InvitationOutput(many=True, help_text="Sent and not answered yet.")


class AcceptedOutput(serializers.Serializer):
    organisation = serializers.SlugField(source="organisation.slug")
    role = serializers.CharField(help_text="owner or editor")


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
        team = {
            "editors": org.access.select_related("user").order_by("created_at"),
            "invitations": org.invitations.filter(
                status=m.EditorInvitationStatus.PENDING, expires_at__gt=timezone.now()
            ).order_by("created_at"),
        }
        return Response(EditorsOutput(team).data)


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
        data = valid(InvitationInput, request)
        invitation = services.invitation_create(
            user=signed_in_user(request),
            organisation=org,
            email=data["email"],
            accept_url=request.build_absolute_uri(reverse("frontend:partner:invitation")),
        )
        return Response(InvitationOutput(invitation).data, status=status.HTTP_201_CREATED)


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
        data = valid(AcceptInvitationInput, request)
        access = services.invitation_accept(user=signed_in_user(request), token=data["token"])
        return Response(AcceptedOutput(access).data)

"""What site moderators and coalition coordinators decide over HTTP: the queue
of what waits for them, and publishing a listing, change requests, claims and
memberships. Who may decide what is checked in orgs.services and orgs.moderation."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import write_errors
from api.partner.common import IdStatusOutput, PartnerView, SlugStatusOutput, valid
from api.serializers import JSONInput
from orgs import lookups, services
from orgs import models as m
from orgs.moderation import moderation_queue
from orgs.permissions import signed_in_user

# --- input -----------------------------------------------------------------------------


class ModerationInput(JSONInput):
    status = serializers.ChoiceField(choices=["published", "rejected", "suspended"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionInput(JSONInput):
    approve = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class MembershipDecisionInput(JSONInput):
    decision = serializers.ChoiceField(choices=list(services.membership.DECISIONS))
    reason = serializers.CharField(required=False, allow_blank=True, default="")


# --- output ----------------------------------------------------------------------------


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


# --- endpoints -------------------------------------------------------------------------


class ModerationQueueView(PartnerView):
    @extend_schema(
        summary="What waits for your decision",
        responses={200: ModerationQueueOutput, **write_errors(bad_request=False, not_found=False)},
    )
    def get(self, request: Request) -> Response:
        return Response(ModerationQueueOutput(moderation_queue(user=signed_in_user(request))).data)


class ModerateOrganisationView(PartnerView):
    @extend_schema(
        summary="Publish, reject or suspend a listing",
        request=ModerationInput,
        responses={200: SlugStatusOutput, **write_errors()},
    )
    def post(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        data = valid(ModerationInput, request)
        org = services.organisation_moderate(
            user=signed_in_user(request), organisation=org, base_url=request.build_absolute_uri("/"), **data
        )
        return Response(SlugStatusOutput(org).data)


class DecideChangeRequestView(PartnerView):
    @extend_schema(
        summary="Approve or reject a change request",
        request=DecisionInput,
        responses={200: IdStatusOutput, **write_errors()},
    )
    def post(self, request: Request, pk: int) -> Response:
        cr = lookups.visible_change_request(request.user, pk)
        data = valid(DecisionInput, request)
        cr = services.change_request_decide(
            user=signed_in_user(request), change_request=cr, base_url=request.build_absolute_uri("/"), **data
        )
        return Response(IdStatusOutput(cr).data)


class DecideClaimView(PartnerView):
    @extend_schema(
        summary="Approve or reject a claim", request=DecisionInput, responses={200: IdStatusOutput, **write_errors()}
    )
    def post(self, request: Request, pk: int) -> Response:
        claim = lookups.visible_claim(request.user, pk)
        data = valid(DecisionInput, request)
        claim = services.claim_decide(
            user=signed_in_user(request), claim=claim, base_url=request.build_absolute_uri("/"), **data
        )
        return Response(IdStatusOutput(claim).data)


class DecideMembershipView(PartnerView):
    @extend_schema(
        summary="Decide a membership by the coalition's rules",
        request=MembershipDecisionInput,
        responses={200: MembershipDecisionOutput, **write_errors()},
    )
    def post(self, request: Request, pk: int) -> Response:
        membership = lookups.visible_membership(request.user, pk)
        data = valid(MembershipDecisionInput, request)
        ms = services.membership_decide(
            user=signed_in_user(request), membership=membership, base_url=request.build_absolute_uri("/"), **data
        )
        return Response(MembershipDecisionOutput(ms).data)

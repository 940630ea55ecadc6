"""An organisation in a coalition: apply to join one (also part of a
registration), and recommend an applicant as a member. Coordinators decide
in api.moderation."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import write_errors
from api.partner.common import IdStatusOutput, PartnerView, valid
from api.serializers import JSONInput
from orgs import lookups, services
from orgs import models as m
from orgs.permissions import signed_in_user


# An application sent with a registration: the organisation is the one registered.
# (A comment, not a docstring: drf-spectacular would publish a docstring in the schema.)
class NetworkApplicationInput(JSONInput):
    network = serializers.SlugField()
    role = serializers.ChoiceField(choices=m.MembershipRole.choices)


class MembershipApplyInput(JSONInput):
    organisation = serializers.SlugField()
    network = serializers.SlugField()
    role = serializers.ChoiceField(choices=m.MembershipRole.choices)
    answers = serializers.DictField(
        child=serializers.BooleanField(),
        required=False,
        help_text="The coalition's conditions for members (Network.eligibility keys): true where the organisation "
        "meets one.",
    )


class RecommendInput(JSONInput):
    recommender = serializers.SlugField(help_text="Slug of your member organisation.")
    text = serializers.CharField(required=False, allow_blank=True, default="")


class RecommendationsOutput(serializers.Serializer):
    recommendations = serializers.IntegerField()


class MembershipApplyView(PartnerView):
    @extend_schema(
        summary="Apply to a coalition", request=MembershipApplyInput, responses={201: IdStatusOutput, **write_errors()}
    )
    def post(self, request: Request) -> Response:
        data = valid(MembershipApplyInput, request)
        org = lookups.visible_organisation(request.user, data["organisation"])
        network = get_object_or_404(m.Network, slug=data["network"])
        ms = services.membership_apply(
            user=signed_in_user(request),
            organisation=org,
            network=network,
            role=data["role"],
            answers=data.get("answers"),
        )
        return Response(IdStatusOutput(ms).data, status=status.HTTP_201_CREATED)


class RecommendView(PartnerView):
    @extend_schema(
        summary="Recommend an applicant (members only)",
        request=RecommendInput,
        responses={201: RecommendationsOutput, **write_errors()},
    )
    def post(self, request: Request, pk: int) -> Response:
        membership = lookups.visible_membership(request.user, pk)
        data = valid(RecommendInput, request)
        recommender = lookups.visible_organisation(request.user, data["recommender"])
        services.membership_recommend(
            user=signed_in_user(request), recommender=recommender, membership=membership, text=data["text"]
        )
        answer = {"recommendations": membership.recommendations.count()}
        return Response(RecommendationsOutput(answer).data, status=status.HTTP_201_CREATED)

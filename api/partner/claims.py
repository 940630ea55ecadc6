""" "This is us": a person asks to manage a listing; a moderator decides (api.moderation)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import write_errors
from api.partner.common import IdStatusOutput, PartnerView, valid
from api.serializers import JSONInput
from orgs import lookups, services
from orgs.permissions import signed_in_user


class ClaimInput(JSONInput):
    # Required by the service (orgs.services.claims), which names "message" when it is empty.
    message = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ClaimView(PartnerView):
    @extend_schema(
        summary="This is us: ask to manage a listing",
        request=ClaimInput,
        responses={201: IdStatusOutput, **write_errors()},
    )
    def post(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        data = valid(ClaimInput, request)
        claim = services.claim_create(
            user=signed_in_user(request),
            organisation=org,
            message=data["message"],
            base_url=request.build_absolute_uri("/"),
        )
        return Response(IdStatusOutput(claim).data, status=status.HTTP_201_CREATED)

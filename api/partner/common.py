"""What every partner and moderation endpoint shares: the signed-in base view,
body validation, the answer to a change that may wait for a moderator, and the
small outputs several resources answer with."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from orgs import lookups, permissions, services
from orgs import models as m


class PartnerView(APIView):
    permission_classes = [IsAuthenticated]


def valid(serializer_class: type[serializers.Serializer], request: Request, **kwargs: Any) -> dict[str, Any]:
    """The request body checked by ``serializer_class`` (a 400 naming each wrong field otherwise)."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def team_organisation(request: Request, slug: str) -> m.Organisation:
    """A listing whose team-only data (registry identifiers, history) the user
    may read: its owners and editors, and those who moderate it."""
    org = lookups.visible_organisation(request.user, slug)
    if not (
        permissions.can_edit_organisation(request.user, org) or permissions.can_moderate_organisation(request.user, org)
    ):
        raise PermissionDenied(str(services.NOT_ALLOWED))
    return org


# --- outputs ---------------------------------------------------------------------------


class SlugStatusOutput(serializers.Serializer):
    slug = serializers.SlugField()
    status = serializers.ChoiceField(choices=m.PublicationStatus.choices)


class IdStatusOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class ChangeRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=m.Decision.choices)
    changes = serializers.DictField(help_text="Field name to its old and new value.")


class ChangeOutput(serializers.Serializer):
    applied = serializers.BooleanField(help_text="True: live at once; false: waits for a moderator.")
    change_request = ChangeRequestOutput(allow_null=True)


def change(change_request: m.ChangeRequest | None) -> dict[str, Any]:
    """What ``ChangeOutput`` reads: a service returns the change request that
    waits for approval, or None when the change is live at once."""
    return {"applied": change_request is None, "change_request": change_request}

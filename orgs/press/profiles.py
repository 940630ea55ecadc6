"""Expert profiles: an organisation's owner invites a person by a signed link,
the person creates their profile from it, and the expert keeps it up to date
(topics, languages, town, camera, which contacts may be given, a pause).

A profile must allow giving at least one contact: an expert nobody can reach
is no use to a journalist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from orgs import models as m
from orgs import permissions
from orgs.press.experts import shareable_contacts
from orgs.press.inputs import resolve_place, slugs_to
from orgs.press.links import link, mail
from orgs.press.rules import (
    ALREADY_EXPERT,
    EXPERT_JOIN_MAX_AGE,
    EXPERT_JOIN_SALT,
    LINK_INVALID,
    NOT_OWNER,
    NOT_YOUR_PROFILE,
    SHARE_SOMETHING,
    UNKNOWN_CATEGORY,
)

PROFILE_FIELDS = (
    "full_name",
    "languages",
    "on_camera",
    "paused",
    "email",
    "phone",
    "share_email",
    "share_phone",
    "conditions",
    "time_zone",
    "interface_language",
)

# --- joining ---------------------------------------------------------------------------


def expert_join_token(*, organisation: m.Organisation, email: str) -> str:
    return signing.dumps({"org": organisation.pk, "email": email.strip().lower()}, salt=EXPERT_JOIN_SALT)


def expert_join_payload(*, token: str) -> tuple[m.Organisation, str]:
    """The organisation and address a join link was sent for."""
    try:
        payload = signing.loads(token, salt=EXPERT_JOIN_SALT, max_age=EXPERT_JOIN_MAX_AGE)
    except signing.BadSignature as exc:
        raise PermissionDenied(LINK_INVALID) from exc
    org = m.Organisation.objects.filter(pk=payload.get("org")).first()
    if org is None:
        raise PermissionDenied(LINK_INVALID)
    return org, str(payload.get("email", ""))


@transaction.atomic
def expert_invite_person(*, user: User, organisation: m.Organisation, email: str, base_url: str) -> None:
    """An owner e-mails a person a link to create their expert profile in the organisation."""
    if not permissions.is_owner(user, organisation) and not permissions.is_moderator(user):
        raise PermissionDenied(NOT_OWNER)
    probe = m.Expert(organisation=organisation, full_name="-", email=email.strip())
    try:
        probe.clean_fields(exclude=[f.name for f in m.Expert._meta.fields if f.name != "email"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    if not email.strip():
        raise ValidationError({"email": [_("This field cannot be blank.")]})
    token = expert_join_token(organisation=organisation, email=email)
    mail(
        to=[email.strip()],
        subject=_("%(org)s invites you to comment for the media as its expert") % {"org": organisation.name},
        template="press_expert_join.txt",
        context={
            "organisation": organisation,
            "inviter": user,
            "link": link(base_url, "frontend:press:join", t=token),
        },
    )


def _apply_profile(expert: m.Expert, data: Mapping[str, Any]) -> None:
    for field in PROFILE_FIELDS:
        if field in data:
            setattr(expert, field, data[field])
    if "place" in data or "place_id" in data:
        expert.place = resolve_place(data)
    if not shareable_contacts(expert):
        raise ValidationError({"share_email": [SHARE_SOMETHING]})
    expert.full_clean()
    expert.save()
    if "topics" in data:
        expert.topics.set(slugs_to(m.Category, data["topics"] or [], "topics", UNKNOWN_CATEGORY))


@transaction.atomic
def expert_join(*, user: User, token: str, data: Mapping[str, Any]) -> m.Expert:
    """The invited person, signed in, creates their profile from the owner's link."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied(LINK_INVALID)
    organisation, email = expert_join_payload(token=token)
    if m.Expert.objects.filter(organisation=organisation, user=user).exists():
        raise ValidationError({"full_name": [ALREADY_EXPERT]})
    expert = m.Expert(organisation=organisation, user=user, email=data.get("email") or email)
    _apply_profile(expert, data)
    return expert


# --- editing and listing ---------------------------------------------------------------


@transaction.atomic
def expert_profile_update(*, user: User, expert: m.Expert, data: Mapping[str, Any]) -> m.Expert:
    """The expert edits their own profile (topics, languages, town, camera, contacts, pause)."""
    if expert.user_id is None or expert.user_id != user.pk:
        raise PermissionDenied(NOT_YOUR_PROFILE)
    locked = m.Expert.objects.select_for_update().get(pk=expert.pk)
    _apply_profile(locked, data)
    return locked


def experts_of_user(*, user: permissions.User) -> QuerySet[m.Expert]:
    if not user.is_authenticated:
        return m.Expert.objects.none()
    return m.Expert.objects.filter(user_id=user.pk).select_related("organisation", "place").prefetch_related("topics")


def experts_of_organisation(*, user: permissions.User, organisation: m.Organisation) -> QuerySet[m.Expert]:
    """An owner's view of the organisation's experts (names and availability)."""
    if not (permissions.is_owner(user, organisation) or permissions.is_moderator(user)):
        raise PermissionDenied(NOT_OWNER)
    return organisation.experts.order_by("full_name").prefetch_related("topics")

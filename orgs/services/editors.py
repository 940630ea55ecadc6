"""Who edits a listing: an owner (or a site moderator) invites editors by
e-mail with a signed link, withdraws an invitation, removes an editor; an
editor may leave."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.services.common import NOT_ALLOWED, _notify, _require, _save

NOT_OWNER = gettext_lazy("Only an owner of this organisation or a site moderator may decide who edits it.")
ALREADY_HAS_ACCESS = gettext_lazy("This address can already edit the listing.")
TOO_MANY_INVITATIONS = gettext_lazy("%(n)s invitations already wait for an answer: withdraw some before inviting more.")
INVITATION_INVALID = gettext_lazy(
    "This invitation link is invalid, has expired or was withdrawn. Ask the organisation's owner for a new one."
)
INVITATION_OTHER_ADDRESS = gettext_lazy(
    "This invitation was sent to another e-mail address. Sign in with the account of that address "
    "(or create one with it), then open the link again."
)
INVITATION_DECIDED = gettext_lazy("This invitation was already accepted or withdrawn.")
ONLY_EDITORS_REMOVED = gettext_lazy("Only an invited editor can be removed here; an owner stays.")

INVITATION_SALT = "orgs.invitation"
INVITATION_MAX_AGE = dt.timedelta(days=14)
# Invitations waiting for an answer, per organisation: enough for a team, too
# few to make the site send mail for someone.
MAX_PENDING_INVITATIONS = 20


def invitation_token(invitation: m.OrganisationInvitation) -> str:
    """The signed link's token: it names the invitation, nothing else (the
    address stays out of the URL), and it expires with INVITATION_MAX_AGE."""
    return signing.dumps({"inv": invitation.pk}, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> m.OrganisationInvitation:
    """The pending, unexpired invitation a token names, or a ValidationError on ``token``."""
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_MAX_AGE)
    except signing.BadSignature as exc:
        raise ValidationError({"token": [INVITATION_INVALID]}) from exc
    invitation = (
        m.OrganisationInvitation.objects.select_related("organisation")
        .filter(pk=int(payload["inv"]) if isinstance(payload, dict) and "inv" in payload else 0)
        .first()
    )
    if (
        invitation is None
        or invitation.status != m.EditorInvitationStatus.PENDING
        or invitation.expires_at <= timezone.now()
    ):
        raise ValidationError({"token": [INVITATION_INVALID]})
    return invitation


def _has_address(user: User, email: str) -> bool:
    return email.casefold() in {user.email.casefold(), user.get_username().casefold()}


@transaction.atomic
def invitation_create(
    *, user: User, organisation: m.Organisation, email: str, accept_url: str
) -> m.OrganisationInvitation:
    """An owner (or a site moderator) invites someone by e-mail to edit the
    listing. The link (``accept_url`` with the signed token) is e-mailed to that
    address only; inviting the same address again renews its invitation."""
    _require(permissions.can_manage_editors(user, organisation), NOT_OWNER)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    has_access = organisation.access.filter(Q(user__email__iexact=email) | Q(user__username__iexact=email))
    if has_access.exists():
        raise ValidationError({"email": [ALREADY_HAS_ACCESS]})
    now = timezone.now()
    pending = m.OrganisationInvitation.objects.select_for_update().filter(
        organisation=organisation, status=m.EditorInvitationStatus.PENDING
    )
    invitation = pending.filter(email=email).first()
    if invitation is None:
        if pending.filter(expires_at__gt=now).count() >= MAX_PENDING_INVITATIONS:
            raise ValidationError({"email": [TOO_MANY_INVITATIONS % {"n": MAX_PENDING_INVITATIONS}]})
        invitation = m.OrganisationInvitation(organisation=organisation, email=email)
    invitation.invited_by = user
    invitation.expires_at = now + INVITATION_MAX_AGE
    _save(invitation, prefix="", exclude=["invited_by", "accepted_by"])
    link = f"{accept_url}?token={invitation_token(invitation)}"
    _notify(
        to=[email],
        subject=_("Help Locator: you are invited to edit “%(name)s”") % {"name": organisation.name},
        body=_(
            "You are invited to help keep the listing “%(name)s” on Help Locator up to date.\n\n"
            "To accept, open this link within %(days)s days and sign in with this e-mail address "
            "(if you have no account yet, create one with it first, then open the link again):\n%(link)s\n\n"
            "If you did not expect this invitation, ignore this message."
        )
        % {"name": organisation.name, "days": INVITATION_MAX_AGE.days, "link": link},
    )
    return invitation


@transaction.atomic
def invitation_accept(*, user: User, token: str) -> m.OrganisationAccess:
    """The invited person, signed in with the invited address, becomes an
    editor. The link works once; a withdrawn or expired one is refused."""
    _require(bool(user.is_authenticated and user.is_active), NOT_ALLOWED)
    found = invitation_from_token(token)
    invitation = m.OrganisationInvitation.objects.select_for_update().get(pk=found.pk)
    if invitation.status != m.EditorInvitationStatus.PENDING:
        raise ValidationError({"token": [INVITATION_INVALID]})
    _require(_has_address(user, invitation.email), INVITATION_OTHER_ADDRESS)
    access, _created = m.OrganisationAccess.objects.get_or_create(
        organisation=invitation.organisation,
        user=user,
        defaults={"role": m.AccessRole.EDITOR, "invited_by": invitation.invited_by},
    )
    invitation.status = m.EditorInvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save()
    return access


@transaction.atomic
def invitation_revoke(*, user: User, invitation: m.OrganisationInvitation) -> m.OrganisationInvitation:
    _require(permissions.can_manage_editors(user, invitation.organisation), NOT_OWNER)
    invitation = m.OrganisationInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != m.EditorInvitationStatus.PENDING:
        raise ValidationError({"invitation": [INVITATION_DECIDED]})
    invitation.status = m.EditorInvitationStatus.REVOKED
    invitation.save()
    return invitation


@transaction.atomic
def editor_remove(*, user: User, access: m.OrganisationAccess) -> None:
    """An owner or a site moderator removes an invited editor; an editor may
    also leave. Owners are not removed here."""
    org = access.organisation
    leaving = access.user_id == user.pk
    _require(permissions.can_manage_editors(user, org) or leaving, NOT_OWNER)
    if access.role != m.AccessRole.EDITOR:
        raise ValidationError({"editor": [ONLY_EDITORS_REMOVED]})
    m.OrganisationAccess.objects.filter(pk=access.pk).delete()

"""Coalition membership by each coalition's own rules (``Network``'s
``min_recommendations``, ``candidate_term_days``, ``eligibility``): an
organisation applies and answers the coalition's conditions, members
recommend it, a coordinator confirms the answers and decides; a candidate's
term ends with a review; a member may be suspended, excluded and restored.
Every change is in ``Membership.history`` with its reason, and the
organisation is e-mailed (through the outbox) in the language it applied in,
with a link to its page. The candidates whose term is up are read by
``orgs.moderation.candidates_due_for_review``; the reminders before that
date are ``candidates_remind`` (``manage.py candidate_reviews``, daily)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import permissions
from orgs.services import notifications
from orgs.services.common import NOT_ALLOWED, NOT_COORDINATOR, _notify, _owner_emails, _require, _save

NOT_A_MEMBER = gettext_lazy("Only active members of this coalition may recommend.")
OWN_RECOMMENDATION = gettext_lazy("An organisation cannot recommend itself.")
LINKED_WITH_APPLICANT = gettext_lazy(
    "This organisation shares an owner or editor with the applicant: a recommendation must come from an "
    "independent member."
)
LINKED_WITH_RECOMMENDER = gettext_lazy(
    "This organisation shares an owner or editor with “%(other)s”, which already recommended this applicant: "
    "one person's organisations count as one recommendation. Ask another member."
)
NOT_APPLYING = gettext_lazy("Recommendations are given to applications still being considered.")
ROLE_NOT_OFFERED = gettext_lazy("This coalition does not have the role “%(role)s”.")
NOT_ENOUGH_RECOMMENDATIONS = gettext_lazy(
    "Membership needs at least %(needed)s recommendations from members; this application has %(have)s. "
    "It can be accepted as a candidate instead."
)
NO_CANDIDATE_TERM = gettext_lazy("This coalition has no candidate status.")
ANSWER_EVERY_CONDITION = gettext_lazy("Answer every condition of the coalition: %(missing)s")
UNKNOWN_CONDITION = gettext_lazy("The coalition has no condition “%(key)s”.")
NOT_ELIGIBLE_YET = gettext_lazy(
    "The applicant has not confirmed every condition of the coalition; it cannot be confirmed yet."
)
ELIGIBILITY_NOT_CONFIRMED = gettext_lazy(
    "Confirm first that the organisation meets the coalition's conditions (its answers are shown above)."
)
REASON_REQUIRED = gettext_lazy("Give the reason: it is sent to the organisation.")
UNKNOWN_DECISION = gettext_lazy("Unknown decision.")
WRONG_STATE = gettext_lazy("This decision does not apply to a membership that is “%(status)s”.")
NOT_A_CANDIDATE = gettext_lazy("Only an active candidate's term is reviewed.")
FOUNDING_MODERATOR_ONLY = gettext_lazy("Only a site moderator may confirm a coalition's founding members.")
FOUNDING_NO_MEMBER_ROLE = gettext_lazy("This coalition has no members to found it with.")

# The decisions and which statuses each applies to.
DECISIONS: dict[str, tuple[str, ...]] = {
    "accept": (m.MembershipStatus.APPLIED,),
    "accept_as_candidate": (m.MembershipStatus.APPLIED,),
    "reject": (m.MembershipStatus.APPLIED,),
    "suspend": (m.MembershipStatus.ACTIVE,),
    "exclude": (m.MembershipStatus.ACTIVE, m.MembershipStatus.SUSPENDED),
    "restore": (m.MembershipStatus.SUSPENDED, m.MembershipStatus.EXCLUDED),
    # A candidate's review at the end of its term.
    "make_member": (m.MembershipStatus.ACTIVE,),
    "extend": (m.MembershipStatus.ACTIVE,),
    "end": (m.MembershipStatus.ACTIVE,),
}
NEEDS_REASON = {"reject", "suspend", "exclude", "restore", "end"}
REVIEWS = {"make_member", "extend", "end"}
# Days before a candidate's term ends when its coordinators and the
# organisation are reminded.
REVIEW_REMINDER_DAYS = 30

SUBJECTS: dict[str, Promise] = {
    "accept": gettext_lazy("Help Locator: “%(org)s” is now a member of %(network)s"),
    "accept_as_candidate": gettext_lazy("Help Locator: “%(org)s” is now a candidate of %(network)s"),
    "reject": gettext_lazy("Help Locator: %(network)s did not accept “%(org)s”"),
    "suspend": gettext_lazy("Help Locator: the membership of “%(org)s” in %(network)s is suspended"),
    "exclude": gettext_lazy("Help Locator: “%(org)s” is excluded from %(network)s"),
    "restore": gettext_lazy("Help Locator: the membership of “%(org)s” in %(network)s is restored"),
    "make_member": gettext_lazy("Help Locator: “%(org)s” is now a member of %(network)s"),
    "extend": gettext_lazy("Help Locator: the candidacy of “%(org)s” in %(network)s is extended"),
    "end": gettext_lazy("Help Locator: the candidacy of “%(org)s” in %(network)s has ended"),
}
REMINDER_SUBJECT = gettext_lazy("Help Locator: the candidacy of “%(org)s” in %(network)s ends on %(date)s")


def _language(code: str) -> str:
    known = {code for code, _name in settings.LANGUAGES}
    return code if code in known else settings.LANGUAGE_CODE


def _org_link(base_url: str, organisation: m.Organisation) -> str:
    # Without a request (a scheduled job), the site's configured address.
    base = notifications.site_url(base_url).rstrip("/")
    return f"{base}{reverse('frontend:partner:organisation', args=[organisation.slug])}" if base else ""


def _network_link(base_url: str, network: m.Network) -> str:
    base = notifications.site_url(base_url).rstrip("/")
    return f"{base}{reverse('frontend:network', args=[network.slug])}" if base else ""


def _mail_organisation(
    ms: m.Membership,
    *,
    subject: Promise,
    lines: list[Promise | str],
    base_url: str,
    headline: bool = False,
    **values: Any,
) -> None:
    """The organisation's owners and editors are told in the language it applied in."""
    with translation.override(_language(ms.language)):
        # Dates in words, in the reader's language ("1 марта 2027 г.").
        dated = {k: formats.date_format(v, "DATE_FORMAT") if isinstance(v, dt.date) else v for k, v in values.items()}
        context = {"org": ms.organisation.name, "network": ms.network.name, **dated}
        texts = [str(line) % context if "%(" in str(line) else str(line) for line in lines if str(line)]
        if headline:
            # The first line repeats the subject as a sentence, without the site's name before it.
            texts[0] = texts[0].removeprefix("Help Locator: ").rstrip(".") + "."
        body = "\n\n".join(texts)
        link = _org_link(base_url, ms.organisation)
        if link:
            body += "\n\n" + _("Your organisation's page: %(link)s") % {"link": link}
        rules = _network_link(base_url, ms.network)
        if rules:
            body += "\n" + _("The coalition and its rules: %(link)s") % {"link": rules}
        _notify(to=_owner_emails(ms.organisation), subject=str(subject) % context, body=body)


def _coordinator_emails(network: m.Network) -> list[str]:
    return [u.email or u.username for u in User.objects.filter(coordinates__network=network, is_active=True)]


def _check_answers(network: m.Network, answers: dict[str, Any]) -> dict[str, bool]:
    keys = [item["key"] for item in network.eligibility]
    for key in answers:
        if key not in keys:
            raise ValidationError({"answers": [UNKNOWN_CONDITION % {"key": key}]})
    missing = [item["text"] for item in network.eligibility if not isinstance(answers.get(item["key"]), bool)]
    if missing:
        raise ValidationError({"answers": [ANSWER_EVERY_CONDITION % {"missing": "; ".join(missing)}]})
    return {key: bool(answers[key]) for key in keys}


def _asks_eligibility(network: m.Network, role: str) -> bool:
    return bool(network.eligibility) and role in (m.MembershipRole.MEMBER, m.MembershipRole.CANDIDATE)


@transaction.atomic
def membership_apply(
    *,
    user: User,
    organisation: m.Organisation,
    network: m.Network,
    role: str,
    answers: dict[str, Any] | None = None,
) -> m.Membership:
    """Apply to a coalition. Where the coalition sets conditions for members
    (``Network.eligibility``), the answers may come now or later
    (``membership_answer``): a coordinator confirms them before admitting."""
    _require(permissions.can_edit_organisation(user, organisation), NOT_ALLOWED)
    if role not in network.roles:
        raise ValidationError({"role": [ROLE_NOT_OFFERED % {"role": role}]})
    checked = _check_answers(network, answers) if answers is not None and _asks_eligibility(network, role) else {}
    membership = m.Membership(
        organisation=organisation,
        network=network,
        role=role,
        status=m.MembershipStatus.APPLIED,
        answers=checked,
        language=_language(translation.get_language() or settings.LANGUAGE_CODE),
    )
    _save(membership, prefix="", exclude=["decided_by", "eligibility_confirmed_by"])
    notifications.membership_applied(membership)
    return membership


@transaction.atomic
def membership_answer(*, user: User, membership: m.Membership, answers: dict[str, Any]) -> m.Membership:
    """The applicant answers (again) the coalition's conditions; a new answer
    needs a new confirmation."""
    _require(permissions.can_edit_organisation(user, membership.organisation), NOT_ALLOWED)
    ms = m.Membership.objects.select_for_update().select_related("network").get(pk=membership.pk)
    if ms.status != m.MembershipStatus.APPLIED and ms.role != m.MembershipRole.CANDIDATE:
        raise ValidationError({"answers": [WRONG_STATE % {"status": ms.get_status_display()}]})
    ms.answers = _check_answers(ms.network, answers)
    ms.eligibility_confirmed_by = None
    ms.eligibility_confirmed_at = None
    ms._change_reason = "answers"  # type: ignore[attr-defined]
    ms.save()
    return ms


@transaction.atomic
def membership_confirm_eligibility(*, user: User, membership: m.Membership) -> m.Membership:
    """A coordinator confirms the applicant's answers: only when it answered
    yes to every condition."""
    _require(permissions.can_moderate_membership(user, membership), NOT_COORDINATOR)
    ms = m.Membership.objects.select_for_update().select_related("network").get(pk=membership.pk)
    keys = [item["key"] for item in ms.network.eligibility]
    if not all(ms.answers.get(key) is True for key in keys):
        raise ValidationError({"eligibility": [NOT_ELIGIBLE_YET]})
    ms.eligibility_confirmed_by = user
    ms.eligibility_confirmed_at = timezone.now()
    ms._change_reason = "eligibility confirmed"  # type: ignore[attr-defined]
    ms.save()
    return ms


def _people(organisation_id: int) -> set[int]:
    return set(m.OrganisationAccess.objects.filter(organisation_id=organisation_id).values_list("user_id", flat=True))


def _is_active_member(organisation_id: int, network_id: int) -> bool:
    return m.Membership.objects.filter(
        organisation_id=organisation_id,
        network_id=network_id,
        role=m.MembershipRole.MEMBER,
        status=m.MembershipStatus.ACTIVE,
    ).exists()


@transaction.atomic
def membership_recommend(
    *, user: User, recommender: m.Organisation, membership: m.Membership, text: str = ""
) -> m.Recommendation:
    """A member organisation of the same coalition vouches for an applicant.
    It counts only from an active member that shares no owner or editor with
    the applicant or with another recommender: one person's organisations
    give one voice, not two."""
    _require(permissions.can_edit_organisation(user, recommender), NOT_ALLOWED)
    # The application's row lock: two recommendations at once each see the other.
    ms = m.Membership.objects.select_for_update().get(pk=membership.pk)
    if recommender.pk == ms.organisation_id:
        raise ValidationError({"recommender": [OWN_RECOMMENDATION]})
    if not _is_active_member(recommender.pk, ms.network_id):
        raise ValidationError({"recommender": [NOT_A_MEMBER]})
    existing = ms.recommendations.filter(recommender=recommender).first()
    if existing is not None:
        return existing
    if ms.status != m.MembershipStatus.APPLIED:
        raise ValidationError({"recommender": [NOT_APPLYING]})
    people = _people(recommender.pk)
    if people & _people(ms.organisation_id):
        raise ValidationError({"recommender": [LINKED_WITH_APPLICANT]})
    for other in ms.recommendations.select_related("recommender"):
        if people & _people(other.recommender_id):
            raise ValidationError({"recommender": [LINKED_WITH_RECOMMENDER % {"other": other.recommender.name}]})
    return m.Recommendation.objects.create(membership=ms, recommender=recommender, text=text.strip())


def valid_recommendations(membership: m.Membership) -> list[m.Recommendation]:
    """The recommendations that count now: from organisations still active
    members (a suspended recommender's word waits with it)."""
    return [
        r
        for r in membership.recommendations.select_related("recommender").order_by("created_at")
        if _is_active_member(r.recommender_id, membership.network_id)
    ]


def _require_eligibility(ms: m.Membership) -> None:
    if _asks_eligibility(ms.network, m.MembershipRole.MEMBER) and ms.eligibility_confirmed_at is None:
        raise ValidationError({"eligibility": [ELIGIBILITY_NOT_CONFIRMED]})


@transaction.atomic
def membership_decide(
    *,
    user: User,
    membership: m.Membership,
    decision: str,
    reason: str = "",
    today: dt.date | None = None,
    base_url: str = "",
) -> m.Membership:
    """A coordinator's (or a site moderator's) decision by the coalition's rules:

    - on an application: ``accept`` (as applied for; a member needs the
      coalition's number of valid recommendations and confirmed answers),
      ``accept_as_candidate`` (for the coalition's term), ``reject``;
    - on an active membership: ``suspend``, ``exclude``; on a suspended or
      excluded one: ``restore``;
    - on an active candidate (its review): ``make_member``, ``extend`` (one
      more term from its end), ``end``.

    Refusals are ValidationErrors naming the field; nothing is saved then."""
    _require(permissions.can_moderate_membership(user, membership), NOT_COORDINATOR)
    ms = m.Membership.objects.select_for_update().select_related("network", "organisation").get(pk=membership.pk)
    network = ms.network
    today = today or timezone.localdate()
    if decision not in DECISIONS:
        raise ValidationError({"decision": [UNKNOWN_DECISION]})
    if ms.status not in DECISIONS[decision]:
        raise ValidationError({"decision": [WRONG_STATE % {"status": ms.get_status_display()}]})
    if decision in REVIEWS and ms.role != m.MembershipRole.CANDIDATE:
        raise ValidationError({"decision": [NOT_A_CANDIDATE]})
    if decision in NEEDS_REASON and not reason.strip():
        raise ValidationError({"reason": [REASON_REQUIRED]})
    if decision == "accept":
        if ms.role == m.MembershipRole.MEMBER:
            have = len(valid_recommendations(ms))
            if have < network.min_recommendations:
                raise ValidationError(
                    {"decision": [NOT_ENOUGH_RECOMMENDATIONS % {"needed": network.min_recommendations, "have": have}]}
                )
            _require_eligibility(ms)
        ms.status = m.MembershipStatus.ACTIVE
        ms.since = ms.since or today
        ms.until = None
    elif decision == "accept_as_candidate":
        if not network.candidate_term_days or m.MembershipRole.CANDIDATE not in network.roles:
            raise ValidationError({"decision": [NO_CANDIDATE_TERM]})
        ms.role = m.MembershipRole.CANDIDATE
        ms.status = m.MembershipStatus.ACTIVE
        ms.since = today
        ms.until = today + dt.timedelta(days=network.candidate_term_days)
    elif decision == "make_member":
        _require_eligibility(ms)
        ms.role = m.MembershipRole.MEMBER
        ms.since = today
        ms.until = None
    elif decision == "extend":
        if not network.candidate_term_days:
            raise ValidationError({"decision": [NO_CANDIDATE_TERM]})
        ms.until = max(ms.until or today, today) + dt.timedelta(days=network.candidate_term_days)
        ms.review_reminded_at = None
    elif decision == "end":
        ms.status = m.MembershipStatus.ENDED
    elif decision == "restore":
        ms.status = m.MembershipStatus.ACTIVE
    else:
        ms.status = {
            "reject": m.MembershipStatus.REJECTED,
            "suspend": m.MembershipStatus.SUSPENDED,
            "exclude": m.MembershipStatus.EXCLUDED,
        }[decision]
    ms.decided_by = user
    ms.note = reason.strip() or ms.note
    ms._change_reason = f"{decision}: {reason.strip()}"[:100]  # type: ignore[attr-defined]
    _save(ms, prefix="")
    lines: list[Promise | str] = [SUBJECTS[decision]]
    if ms.until and ms.role == m.MembershipRole.CANDIDATE and ms.status == m.MembershipStatus.ACTIVE:
        lines.append(gettext_lazy("The candidacy lasts until %(until)s; the coalition then reviews it."))
    if reason.strip():
        lines.append(gettext_lazy("Reason: %(reason)s"))
    _mail_organisation(
        ms,
        subject=SUBJECTS[decision],
        lines=lines,
        base_url=base_url,
        headline=True,
        reason=reason.strip(),
        until=ms.until or "",
    )
    return ms


@transaction.atomic
def membership_found(*, by: User, organisation: m.Organisation, network: m.Network) -> m.Membership:
    """A site moderator confirms a founding member, so that a coalition with
    no members yet can start: it needs no recommendation (the coalition's
    own documents or board vouch for it)."""
    _require(permissions.is_moderator(by), FOUNDING_MODERATOR_ONLY)
    if m.MembershipRole.MEMBER not in network.roles:
        raise ValidationError({"network": [FOUNDING_NO_MEMBER_ROLE]})
    ms = m.Membership.objects.select_for_update().filter(organisation=organisation, network=network).first()
    ms = ms or m.Membership(organisation=organisation, network=network)
    ms.role = m.MembershipRole.MEMBER
    ms.status = m.MembershipStatus.ACTIVE
    ms.since = ms.since or timezone.localdate()
    ms.until = None
    ms.founding = True
    ms.decided_by = by
    ms._change_reason = "founding member"  # type: ignore[attr-defined]
    _save(ms, prefix="", exclude=["eligibility_confirmed_by"])
    return ms


@transaction.atomic
def network_contact_update(*, user: User, network: m.Network, contact_email: str) -> m.Network:
    """A coordinator sets the coalition's contact address (the coalition's,
    never a person's: the page says so next to the field)."""
    _require(permissions.is_moderator(user) or permissions.coordinates(user, network), NOT_COORDINATOR)
    address = contact_email.strip().lower()
    if address:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError({"contact_email": exc.messages}) from exc
    net = m.Network.objects.select_for_update().get(pk=network.pk)
    net.contact_email = address
    net.save(update_fields=["contact_email", "updated_at"])
    return net


def candidates_remind(*, base_url: str, today: dt.date | None = None) -> int:
    """E-mail the coordinators and the organisation of each active candidate
    whose term ends within REVIEW_REMINDER_DAYS (or already ended), once per
    term; ``extend`` makes the next term remind again. Returns how many."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=REVIEW_REMINDER_DAYS)
    due = m.Membership.objects.filter(
        Q(review_reminded_at__isnull=True),
        role=m.MembershipRole.CANDIDATE,
        status=m.MembershipStatus.ACTIVE,
        until__lte=horizon,
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            ms = (
                m.Membership.objects.select_for_update(skip_locked=True)
                .select_related("network", "organisation")
                .filter(pk=pk, review_reminded_at__isnull=True)
                .first()
            )
            if ms is None or ms.until is None:
                continue
            date = ms.until.strftime("%d.%m.%Y")
            base = base_url.rstrip("/")
            with translation.override(settings.LANGUAGE_CODE):
                context = {"org": ms.organisation.name, "network": ms.network.name, "date": date}
                queue = reverse("frontend:partner:coalition", args=[ms.network.slug])
                _notify(
                    to=_coordinator_emails(ms.network),
                    subject=str(REMINDER_SUBJECT) % context,
                    body=_(
                        "The candidacy of “%(org)s” in %(network)s ends on %(date)s. Review it on the coalition's "
                        "page: make it a member, extend the term, or end the candidacy."
                    )
                    % context
                    + (f"\n\n{base}{queue}" if base else ""),
                )
            _mail_organisation(
                ms,
                subject=REMINDER_SUBJECT,
                lines=[
                    gettext_lazy(
                        "The candidacy of “%(org)s” in %(network)s ends on %(date)s. The coalition's coordinators "
                        "will then review it; you may write to them before that date."
                    )
                ],
                base_url=base_url,
                date=date,
            )
            ms.review_reminded_at = timezone.now()
            ms._change_reason = "review reminder"  # type: ignore[attr-defined]
            ms.save(update_fields=["review_reminded_at", "updated_at"])
            sent += 1
    return sent

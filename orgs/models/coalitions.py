"""Coalitions: a Network, its Memberships and the Recommendations members
give applicants, its coordinators, and the Active People Centres (a host
organisation's work for a local territory)."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from orgs.models.access import EditorInvitationStatus
from orgs.models.base import COUNTRY_CODE, TimeStamped, validate_point_in_range
from orgs.models.directory import Organisation
from orgs.models.taxonomy import Category, TargetGroup

# How long an expert has to answer a journalist's request, by default.
PRESS_ANSWER_HOURS_DEFAULT = 48


class MembershipRole(models.TextChoices):
    MEMBER = "member", _("Member")
    CANDIDATE = "candidate", _("Candidate")
    PARTNER = "partner", _("Partner")
    PARTICIPANT = "participant", _("Participant")


class MembershipStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    EXCLUDED = "excluded", _("Excluded")
    REJECTED = "rejected", _("Rejected")
    # A candidate whose term was reviewed and not continued.
    ENDED = "ended", _("Candidacy ended")


def validate_eligibility(value: object) -> None:
    items = value if isinstance(value, list) else None
    ok = items is not None and all(
        isinstance(item, dict)
        and isinstance(item.get("key"), str)
        and item["key"]
        and isinstance(item.get("text"), str)
        and item["text"].strip()
        for item in items
    )
    if items is None or not ok or len({item["key"] for item in items}) != len(items):
        raise ValidationError(_("Each condition needs a unique key and a text."))


class Network(TimeStamped):
    """A coalition. Its admission rules are data, set per network."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    countries = ArrayField(models.CharField(max_length=2, validators=[COUNTRY_CODE]), default=list, blank=True)
    roles = ArrayField(
        models.CharField(max_length=20, choices=MembershipRole.choices),
        default=list,
        help_text="Roles this network grants.",
    )
    min_recommendations = models.PositiveSmallIntegerField(
        default=0, help_text="Recommendations from members needed to become a member."
    )
    candidate_term_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="How long a candidate status lasts before the board reviews it."
    )
    auto_match_experts = models.BooleanField(
        default=False, help_text="Journalists' requests may go to the best-matching expert without a coordinator."
    )
    contact_email = models.EmailField(
        blank=True,
        help_text="The coalition's own address for questions about joining; never a person's. "
        "Its coordinators edit it.",
    )
    # [{"key": "three_years", "text": "…"}, …]: the conditions an applicant
    # answers and a coordinator confirms, in the coalition's own words.
    eligibility = models.JSONField(default=list, blank=True, validators=[validate_eligibility])
    source = models.TextField(blank=True)
    # What the coalition answers journalists on (orgs/press/topics.py routes by
    # it); its coordinators edit it. Empty: it takes no requests by topic.
    press_categories = models.ManyToManyField(Category, related_name="press_networks", blank=True)
    press_target_groups = models.ManyToManyField(TargetGroup, related_name="press_networks", blank=True)
    press_answer_hours = models.PositiveSmallIntegerField(
        default=PRESS_ANSWER_HOURS_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text="Hours an expert has to answer (working hours in the expert's time zone when set).",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(roles__contained_by=MembershipRole.values), name="network_roles_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStamped):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=MembershipRole.choices)
    status = models.CharField(max_length=20, choices=MembershipStatus.choices, default=MembershipStatus.APPLIED)
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    source = models.TextField(blank=True)
    decided_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    review_reminded_at = models.DateTimeField(null=True, blank=True)
    # A founding member: imported or confirmed by a site moderator, so a
    # coalition with no members yet can start recommending.
    founding = models.BooleanField(default=False)
    # The applicant's answers to Network.eligibility, {key: true/false}, and
    # the coordinator's confirmation of them.
    answers = models.JSONField(default=dict, blank=True)
    eligibility_confirmed_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    eligibility_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The page language of the application: the organisation's decisions are
    # written in it (the project keeps no language per person).
    language = models.CharField(max_length=8, default="ru")
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "network"], name="membership_unique"),
            models.CheckConstraint(
                condition=Q(since__isnull=True) | Q(until__isnull=True) | Q(until__gt=F("since")),
                name="membership_until_after_since",
            ),
            # A candidate's term runs from its start: it must be known. Other
            # roles may have joined on a date nobody recorded.
            models.CheckConstraint(
                condition=~Q(status=MembershipStatus.ACTIVE, role=MembershipRole.CANDIDATE) | Q(since__isnull=False),
                name="membership_candidate_has_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.network} ({self.role})"


class Recommendation(models.Model):
    """A member organisation vouching for an applicant to the same network."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="recommendations")
    recommender = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="recommendations_given")
    created_at = models.DateTimeField(auto_now_add=True)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "recommender"], name="recommendation_once"),
        ]


class NetworkCoordinator(TimeStamped):
    """A member of a coalition's board who moderates for that coalition only."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="coordinators")
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="coordinates")
    # A site moderator, or the coordinator who invited a co-coordinator; empty
    # for the first one appointed by ``manage.py appoint_coordinator``.
    appointed_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "user"], name="network_coordinator_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} coordinates {self.network}"


class CoordinatorInvitation(TimeStamped):
    """A coordinator's single-use, expiring invitation of a co-coordinator,
    e-mailed as a signed link (``orgs.services.coordinators``), as owners
    invite editors. The address is personal data: shown to the coalition's
    coordinators and site moderators only."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="coordinator_invitations")
    email = models.EmailField()
    invited_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=20, choices=EditorInvitationStatus.choices, default="pending")
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "email"], condition=Q(status="pending"), name="coordinator_invitation_one_pending"
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(accepted_at__isnull=False),
                name="coordinator_invitation_accepted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.network} ({self.status})"


# --- Active People Centres -----------------------------------------------------


# The widest a centre's radius may be; the search for centres near a point relies on it.
CENTRE_MAX_RADIUS_M = 50_000


class ActivePeopleCentre(TimeStamped):
    """A line of work of a host organisation serving a local territory."""

    host = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="centres")
    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    territory = models.MultiPolygonField(geography=True, null=True, blank=True)
    centre = models.PointField(geography=True, null=True, blank=True, validators=[validate_point_in_range])
    radius_m = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(CENTRE_MAX_RADIUS_M)])
    helps_with = models.ManyToManyField(Category, related_name="centres", blank=True)
    source = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(territory__isnull=False) | Q(centre__isnull=False, radius_m__isnull=False),
                name="centre_has_territory",
            ),
            models.CheckConstraint(condition=Q(radius_m__lte=CENTRE_MAX_RADIUS_M), name="centre_radius_at_most_50km"),
        ]

    def __str__(self) -> str:
        return self.name

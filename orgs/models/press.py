"""The press flow: experts, journalists' requests, the invitations put to
experts and the log of every disclosure of an expert's contacts."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from orgs.models.base import LANGUAGE_CODE, TimeStamped, validate_timezone
from orgs.models.coalitions import Network
from orgs.models.directory import Organisation
from orgs.models.gazetteer import Place
from orgs.models.taxonomy import Category, TargetGroup

TIME_ZONE = validate_timezone


class Expert(TimeStamped):
    """A person who may comment for the media. Contacts are private by design:
    no public serializer, page or export reads them."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="experts")
    user = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="expert_profiles"
    )
    full_name = models.CharField(max_length=200)
    topics = models.ManyToManyField(Category, related_name="experts", blank=True)
    languages = ArrayField(models.CharField(max_length=3, validators=[LANGUAGE_CODE]), default=list, blank=True)
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    on_camera = models.BooleanField(default=False)
    paused = models.BooleanField(default=False)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    share_email = models.BooleanField(default=True)
    share_phone = models.BooleanField(default=False)
    # What the journalist is reminded of with the contacts ("quote approval before publication").
    conditions = models.TextField(blank=True, max_length=1000)
    # The expert's clock: answer windows count its working hours, pages and
    # e-mails show times on it. Empty: Moscow time, and hours around the clock.
    time_zone = models.CharField(max_length=64, blank=True, validators=[TIME_ZONE])
    # The language of the e-mails the expert receives.
    interface_language = models.CharField(max_length=5, default="ru", validators=[LANGUAGE_CODE])
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.full_name


class PressFormat(models.TextChoices):
    WRITTEN = "written", _("Written comment")
    INTERVIEW = "interview", _("Interview")
    CAMERA = "camera", _("On camera")


class PressRequestStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Waiting for e-mail confirmation")
    RECEIVED = "received", _("Received")
    SEARCHING = "searching", _("Looking for an expert")
    FOUND = "found", _("Expert found")
    NO_EXPERT = "no_expert", _("No expert available")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PressRequest(TimeStamped):
    """A journalist's request for an expert comment. No account: the journalist
    confirms by an e-mailed link and follows it through a private link. Tokens
    are stored hashed (SHA-256), so the database alone cannot open them."""

    journalist_name = models.CharField(max_length=200)
    outlet = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    topic = models.CharField(max_length=500)
    questions = models.TextField(blank=True)
    categories = models.ManyToManyField(Category, related_name="+", blank=True)
    target_groups = models.ManyToManyField(TargetGroup, related_name="+", blank=True)
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    region = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=3, default="ru", validators=[LANGUAGE_CODE])
    format = models.CharField(max_length=20, choices=PressFormat.choices, default=PressFormat.WRITTEN)
    deadline = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=PressRequestStatus.choices, default=PressRequestStatus.UNCONFIRMED, db_index=True
    )
    confirm_token_hash = models.CharField(max_length=64, unique=True)
    tracking_token_hash = models.CharField(max_length=64, unique=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    network = models.ForeignKey(
        Network,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="press_requests",
        help_text="The coalition whose coordinators handle it (from the topic).",
    )
    # Every coalition whose declared press topics fit (orgs/press/topics.py),
    # and those the coordinators widened the search to.
    networks = models.ManyToManyField(Network, related_name="routed_press_requests", blank=True)
    any_network = models.BooleanField(default=False, help_text="Widened to experts of every coalition.")
    # The journalist's clock (the zone she typed the deadline in) and the language of her e-mails.
    time_zone = models.CharField(max_length=64, default="Europe/Moscow", validators=[TIME_ZONE])
    interface_language = models.CharField(max_length=5, default="ru", validators=[LANGUAGE_CODE])
    # When the ranked list ran out and the coordinators were told.
    exhausted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deadline"]

    def __str__(self) -> str:
        return f"{self.outlet}: {self.topic}"


class InvitationStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


class ExpertInvitation(TimeStamped):
    """A request put to one expert, answered through one-time expiring links."""

    request = models.ForeignKey(PressRequest, on_delete=models.CASCADE, related_name="invitations")
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="invitations")
    status = models.CharField(max_length=20, choices=InvitationStatus.choices, default=InvitationStatus.SENT)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when sent automatically.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "expert"], name="invitation_once_per_expert"),
            models.CheckConstraint(
                condition=Q(status=InvitationStatus.SENT)
                | Q(responded_at__isnull=False)
                | Q(status__in=[InvitationStatus.EXPIRED, InvitationStatus.CANCELLED]),
                name="invitation_answer_has_time",
            ),
        ]


class Disclosure(models.Model):
    """Every time an expert's contact reaches a journalist: which expert, to
    whom, when, which contacts, by whose action. Experts see their own log."""

    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="disclosures")
    request = models.ForeignKey(PressRequest, on_delete=models.PROTECT, related_name="disclosures")
    journalist_email = models.EmailField()
    contacts = ArrayField(models.CharField(max_length=20), help_text="Which contacts: email, phone.")
    disclosed_at = models.DateTimeField(auto_now_add=True)
    by_user = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    by_expert = models.BooleanField(default=True, help_text="The expert's own acceptance released the contacts.")

    class Meta:
        ordering = ["-disclosed_at"]

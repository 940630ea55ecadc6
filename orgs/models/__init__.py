"""The domain's models, one module per aggregate (as pretix splits its
``base/models``), all re-exported here so ``from orgs import models as m`` and
``from orgs.models import X`` work whatever module a model lives in.

- ``directory``: organisations, their identifiers, locations, opening hours,
  services and services at locations, shaped after Open Referral HSDS 3; the
  public view of a listing (``Organisation.public_ogrn``,
  ``Location.public_address``, ``Location.public_position``…) is on them.
- ``taxonomy``: categories and target groups.
- ``coalitions``: networks, memberships, recommendations, coordinators and
  Active People Centres.
- ``access``: who may edit a listing, and the owners' invitations.
- ``moderation``: change requests and claims waiting for a moderator.
- ``press``: experts, journalists' requests, invitations and disclosures.
- ``search``: the search engine's derived rows and map cluster cells.
- ``gazetteer``: towns and cities (GeoNames).
- ``notifications``: how a person hears about their work; visitors' corrections.
- ``coverage``: how far each town is from help (orgs.coverage).
- ``outbox``: outgoing e-mail, sent after the transaction commits.
- ``base``: shared validators and the timestamps.

Positions are geography columns (SRID 4326, metres, GiST-indexed). A location's
true ``point`` is never shown publicly; every public output reads
``public_point``, which equals ``point`` only for exact visibility.

Every model keeps app label ``orgs`` and its table name: moving a model
between these modules changes no migration.
"""

from orgs.models.access import AccessRole, EditorInvitationStatus, OrganisationAccess, OrganisationInvitation
from orgs.models.base import (
    COUNTRY_CODE,
    LANGUAGE_CODE,
    TimeStamped,
    new_blur_seed,
    validate_point_in_range,
    validate_timezone,
)
from orgs.models.coalitions import (
    CENTRE_MAX_RADIUS_M,
    PRESS_ANSWER_HOURS_DEFAULT,
    ActivePeopleCentre,
    CoordinatorInvitation,
    Membership,
    MembershipRole,
    MembershipStatus,
    Network,
    NetworkCoordinator,
    Recommendation,
)
from orgs.models.coverage import CoverageRun, CoverageTown
from orgs.models.directory import (
    COORDINATE_DECIMALS,
    PERSONAL_SCHEMES,
    AreaKind,
    LegalForm,
    Location,
    LocationKind,
    OpeningHours,
    Organisation,
    OrganisationIdentifier,
    Position,
    PublicationStatus,
    Service,
    ServiceAtLocation,
    ServiceFormat,
    Visibility,
)
from orgs.models.gazetteer import Place
from orgs.models.moderation import ChangeRequest, Claim, Decision, ModerationItem
from orgs.models.notifications import (
    Correction,
    CorrectionKind,
    NotificationMode,
    NotificationPreference,
)
from orgs.models.outbox import OutgoingEmail, OutgoingEmailStatus
from orgs.models.press import (
    Disclosure,
    Expert,
    ExpertInvitation,
    InvitationStatus,
    PressFormat,
    PressRequest,
    PressRequestStatus,
)
from orgs.models.search import ClusterCell, RemoteEntry, SearchEntry
from orgs.models.taxonomy import Category, TargetGroup

__all__ = [
    "CENTRE_MAX_RADIUS_M",
    "COORDINATE_DECIMALS",
    "COUNTRY_CODE",
    "LANGUAGE_CODE",
    "PERSONAL_SCHEMES",
    "PRESS_ANSWER_HOURS_DEFAULT",
    "AccessRole",
    "ActivePeopleCentre",
    "AreaKind",
    "Category",
    "ChangeRequest",
    "Claim",
    "ClusterCell",
    "CoordinatorInvitation",
    "Correction",
    "CorrectionKind",
    "CoverageRun",
    "CoverageTown",
    "Decision",
    "Disclosure",
    "EditorInvitationStatus",
    "Expert",
    "ExpertInvitation",
    "InvitationStatus",
    "LegalForm",
    "Location",
    "LocationKind",
    "Membership",
    "MembershipRole",
    "MembershipStatus",
    "ModerationItem",
    "Network",
    "NetworkCoordinator",
    "NotificationMode",
    "NotificationPreference",
    "OpeningHours",
    "Organisation",
    "OrganisationAccess",
    "OrganisationIdentifier",
    "OrganisationInvitation",
    "OutgoingEmail",
    "OutgoingEmailStatus",
    "Place",
    "Position",
    "PressFormat",
    "PressRequest",
    "PressRequestStatus",
    "PublicationStatus",
    "Recommendation",
    "RemoteEntry",
    "SearchEntry",
    "Service",
    "ServiceAtLocation",
    "ServiceFormat",
    "TargetGroup",
    "TimeStamped",
    "Visibility",
    "new_blur_seed",
    "validate_point_in_range",
    "validate_timezone",
]

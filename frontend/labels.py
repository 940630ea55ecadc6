"""Words the pages show for the domain's codes.

The frontend keeps its own (context-qualified) messages rather than the
models' choice labels, so that translating the pages never changes what the
API, the admin or their tests see."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from orgs import models as m

FORMATS: dict[str, Promise] = {
    m.ServiceFormat.IN_PERSON: pgettext_lazy("service format", "in person"),
    m.ServiceFormat.ONLINE: pgettext_lazy("service format", "online"),
    m.ServiceFormat.PHONE: pgettext_lazy("service format", "by phone"),
}

ROLES: dict[str, Promise] = {
    m.MembershipRole.MEMBER: pgettext_lazy("membership role", "member"),
    m.MembershipRole.CANDIDATE: pgettext_lazy("membership role", "candidate"),
    m.MembershipRole.PARTNER: pgettext_lazy("membership role", "partner"),
    m.MembershipRole.PARTICIPANT: pgettext_lazy("membership role", "participant"),
}

ROLES_PLURAL: dict[str, Promise] = {
    m.MembershipRole.MEMBER: pgettext_lazy("membership role, heading", "Members"),
    m.MembershipRole.CANDIDATE: pgettext_lazy("membership role, heading", "Candidates"),
    m.MembershipRole.PARTNER: pgettext_lazy("membership role, heading", "Partners"),
    m.MembershipRole.PARTICIPANT: pgettext_lazy("membership role, heading", "Participants"),
}

AREAS: dict[str, Promise] = {
    m.AreaKind.ANYWHERE: pgettext_lazy("service area", "anywhere"),
    m.AreaKind.COUNTRY: pgettext_lazy("service area", "the whole country"),
    m.AreaKind.REGION: pgettext_lazy("service area", "the region"),
    m.AreaKind.CITY: pgettext_lazy("service area", "the town"),
    m.AreaKind.RADIUS: pgettext_lazy("service area", "around its offices"),
    m.AreaKind.POLYGON: pgettext_lazy("service area", "a marked area"),
    m.AreaKind.LOCATIONS: pgettext_lazy("service area", "at its offices"),
}

LEGAL_FORMS: dict[str, Promise] = {
    m.LegalForm.ANO: pgettext_lazy("legal form", "Autonomous non-profit organisation"),
    m.LegalForm.FOUNDATION: pgettext_lazy("legal form", "Charitable foundation"),
    m.LegalForm.PUBLIC_ORG: pgettext_lazy("legal form", "Public organisation"),
    m.LegalForm.MOVEMENT: pgettext_lazy("legal form", "Public movement"),
    m.LegalForm.ASSOCIATION: pgettext_lazy("legal form", "Association or union"),
    m.LegalForm.STATE: pgettext_lazy("legal form", "State or municipal institution"),
    m.LegalForm.COMMERCIAL: pgettext_lazy("legal form", "Commercial organisation"),
    m.LegalForm.INITIATIVE: pgettext_lazy("legal form", "Initiative without a legal entity"),
    m.LegalForm.OTHER: pgettext_lazy("legal form", "Other"),
}

WEEKDAYS: list[Promise] = [
    pgettext_lazy("weekday", "Monday"),
    pgettext_lazy("weekday", "Tuesday"),
    pgettext_lazy("weekday", "Wednesday"),
    pgettext_lazy("weekday", "Thursday"),
    pgettext_lazy("weekday", "Friday"),
    pgettext_lazy("weekday", "Saturday"),
    pgettext_lazy("weekday", "Sunday"),
]


# Time zones offered in forms (Russia's eleven, then the EECA countries'),
# Moscow first: the usual default for a deadline.
TIMEZONES = (
    "Europe/Moscow",
    "Europe/Kaliningrad",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
    "Europe/Kyiv",
    "Europe/Minsk",
    "Europe/Chisinau",
    "Europe/Tallinn",
    "Europe/Riga",
    "Europe/Vilnius",
    "Asia/Tbilisi",
    "Asia/Yerevan",
    "Asia/Baku",
    "Asia/Almaty",
    "Asia/Aqtobe",
    "Asia/Tashkent",
    "Asia/Bishkek",
    "Asia/Dushanbe",
    "Asia/Ashgabat",
)

"""The press flow's settings and the messages people see.

Every step of the flow (requests, matching, experts, housekeeping) reads the
same time limits and speaks the same words, so each is written here once;
tests assert on the messages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy

from orgs import models as m

# --- settings of the flow ------------------------------------------------------------

# How long an expert has to answer: Network.press_answer_hours, counted by
# orgs/press/times.py (the expert's working hours, the deadline's margin).
# An expert who declined an outlet is not asked again for its requests for this long.
DECLINED_OUTLET_COOLDOWN = dt.timedelta(days=90)
# An unconfirmed request holds someone's address; it is deleted if not
# confirmed within this time (or by its deadline, whichever comes first).
UNCONFIRMED_TTL = dt.timedelta(hours=48)
MAX_DEADLINE_AHEAD = dt.timedelta(days=90)
# The signed link an organisation's owner sends a person to create their expert profile.
EXPERT_JOIN_SALT = "orgs.press.expert-join"
EXPERT_JOIN_MAX_AGE = dt.timedelta(days=14)
# Rate limits (fixed one-hour windows in the shared cache, locator/ratelimit.py;
# the client address and the e-mail are kept there only as keyed hashes).
RATE_WINDOW_S = 3600
REQUESTS_PER_EMAIL_PER_HOUR = 3
REQUESTS_PER_IP_PER_HOUR = 10
HONEYPOT_FIELD = "website"

# Languages a journalist may ask the comment in.
COMMENT_LANGUAGES = [
    ("ru", gettext_lazy("Russian")),
    ("en", gettext_lazy("English")),
    ("uk", gettext_lazy("Ukrainian")),
    ("be", gettext_lazy("Belarusian")),
    ("kk", gettext_lazy("Kazakh")),
    ("ky", gettext_lazy("Kyrgyz")),
    ("uz", gettext_lazy("Uzbek")),
    ("tg", gettext_lazy("Tajik")),
    ("hy", gettext_lazy("Armenian")),
    ("ka", gettext_lazy("Georgian")),
    ("az", gettext_lazy("Azerbaijani")),
    ("ro", gettext_lazy("Romanian")),
]


def language_name(code: str) -> Any:
    """«Ukrainian» for uk, translated when shown (lazy); the code itself when unknown."""
    return dict(COMMENT_LANGUAGES).get(code, code)


CONTACT_EMAIL = "email"
CONTACT_PHONE = "phone"
CONTACT_KINDS = (CONTACT_EMAIL, CONTACT_PHONE)

OPEN_STATUSES = (m.PressRequestStatus.RECEIVED, m.PressRequestStatus.SEARCHING, m.PressRequestStatus.NO_EXPERT)
ACTIVE_STATUSES = (m.PressRequestStatus.UNCONFIRMED, *OPEN_STATUSES)

# --- messages users see (tests assert on them) ------------------------------------------

RATE_LIMITED = gettext_lazy(
    "Too many requests from this address in the last hour. Please wait an hour and try again, "
    "or write to the coalition directly."
)
DUPLICATE_REQUEST = gettext_lazy(
    "This request was already sent a moment ago: it is saved once. Open the link in the e-mail we sent to confirm it."
)
HONEYPOT_FILLED = gettext_lazy("Leave this field empty.")
LINK_INVALID = gettext_lazy("This link is not valid. Check that you copied the whole link from the e-mail.")
LINK_USED = gettext_lazy("This link has already been used.")
LINK_EXPIRED = gettext_lazy("This link has expired: the request went on to another expert or closed.")
REQUEST_NOT_OPEN = gettext_lazy("This request is no longer open.")
DEADLINE_PAST = gettext_lazy("The deadline must be in the future.")
DEADLINE_TOO_FAR = gettext_lazy("The deadline can be at most 90 days ahead.")
UNKNOWN_PLACE = gettext_lazy("We do not know a town called “%(q)s”. Check the spelling or leave it empty.")
UNKNOWN_CATEGORY = gettext_lazy("Unknown topic: %(values)s. Choose from the list.")
UNKNOWN_TARGET = gettext_lazy("Unknown target group: %(values)s. Choose from the list.")
UNKNOWN_NETWORK = gettext_lazy("Unknown coalition.")
NOT_COORDINATOR = gettext_lazy("Only a coordinator of this request's coalition or a site moderator may do this.")
NOT_OWNER = gettext_lazy("Only an owner of this organisation may invite its experts.")
NOT_YOUR_PROFILE = gettext_lazy("This is not your expert profile.")
EXPERT_NOT_ELIGIBLE = gettext_lazy(
    "%(name)s cannot be asked: paused, already asked, declined this outlet recently, or not matching the request."
)
CHOOSE_EXPERT = gettext_lazy("Choose at least one expert.")
NOTHING_TO_SHARE = gettext_lazy("Choose at least one contact to give the journalist.")
CONTACT_NOT_ALLOWED = gettext_lazy("Your profile does not allow sharing this contact, or it is empty.")
SHARE_SOMETHING = gettext_lazy("Allow at least one contact (e-mail or phone) to be given to journalists.")
NOT_WIDER = gettext_lazy("Choose another coalition, or all coalitions, to widen the search.")
ALREADY_EXPERT = gettext_lazy("You already have an expert profile in this organisation.")


class DuplicateRequest(Exception):
    """The same request from the same address was just saved (orgs/press/duplicates.py)."""

    def __init__(self) -> None:
        super().__init__(str(DUPLICATE_REQUEST))
        self.message = str(DUPLICATE_REQUEST)


class RateLimited(Exception):
    """Too many requests from one address or one e-mail in the window."""

    def __init__(self) -> None:
        super().__init__(str(RATE_LIMITED))
        self.message = str(RATE_LIMITED)


def now_or_current(now: dt.datetime | None) -> dt.datetime:
    """The moment a step runs at: the caller's (tests, a batch) or the clock's."""
    return now or timezone.now()

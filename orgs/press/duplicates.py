"""The same press request sent twice (a double click, a retried POST, two
tabs) is saved once.

Two identical requests sent at the same moment were both saved: each
transaction looked for the other before either had committed. Here the
check runs under a PostgreSQL advisory lock keyed on the request's
normalised content (the address and the text), held until the transaction
ends: the second request waits for the first to commit, then finds it. No
table constraint, because "identical" means "within a time window", which a
unique index cannot say.
"""

from __future__ import annotations

import datetime as dt
import re

from orgs import models as m
from orgs.locks import xact_lock

# A request repeated within this window is the same request sent again; one
# sent later (the journalist asking again, say, the next morning) is new.
DUPLICATE_WINDOW = dt.timedelta(hours=1)

_SPACES = re.compile(r"\s+")


def normalised(text: str) -> str:
    """Case and runs of white space do not make a request different."""
    return _SPACES.sub(" ", text).strip().casefold()


def _content(email: str, topic: str, questions: str) -> str:
    return "\x1f".join((normalised(email), normalised(topic), normalised(questions)))


def lock_and_find_duplicate(*, email: str, topic: str, questions: str, now: dt.datetime) -> m.PressRequest | None:
    """The same request saved within DUPLICATE_WINDOW, if any. Takes the
    content's advisory lock first (to the end of the caller's transaction),
    so the caller may save the request when this returns None."""
    content = _content(email, topic, questions)
    xact_lock("press_request", content)
    recent = m.PressRequest.objects.filter(email__iexact=email.strip(), created_at__gte=now - DUPLICATE_WINDOW)
    for candidate in recent.only("pk", "email", "topic", "questions").order_by("-created_at"):
        if _content(candidate.email, candidate.topic, candidate.questions) == content:
            return candidate
    return None

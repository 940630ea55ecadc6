"""The flow's one-time tokens, the links that carry them, and its e-mails.

Tokens (confirm, tracking, answer) are random, sent once by e-mail and stored
as SHA-256 hashes, so the database alone cannot open a request or answer for
an expert. Links carry them in the query string, which the production access
log leaves out (deploy/gunicorn.conf.py).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation


def token_hash(raw: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token: the raw value for the e-mail, and its hash for the database."""
    raw = secrets.token_urlsafe(32)
    return raw, token_hash(raw)


def link(base_url: str, name: str, **query: str) -> str:
    return f"{base_url.rstrip('/')}{reverse(name)}?{urlencode(query)}"


def mail(
    *,
    to: Iterable[str],
    subject: Any,
    template: str,
    context: Mapping[str, Any],
    language: str | None = None,
    subject_params: Mapping[str, Any] | None = None,
) -> None:
    """One e-mail to the distinct non-empty addresses of ``to``; none when there are none.

    Written in the recipient's ``language`` (the journalist's or the expert's,
    not that of whoever's action sends it): ``subject`` is a lazy string,
    translated here and filled with ``subject_params``. Sent through the outbox
    (settings.EMAIL_BACKEND), so it leaves only after the transaction commits."""
    recipients = sorted({address for address in to if address})
    if not recipients:
        return
    with translation.override(language or settings.LANGUAGE_CODE):
        text = str(subject)
        if subject_params:
            text = text % dict(subject_params)
        body = render_to_string(f"orgs/email/{template}", dict(context))
    send_mail(text, body, settings.DEFAULT_FROM_EMAIL, recipients)

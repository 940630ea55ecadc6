"""Compression of HTML and JSON answers, with the BREACH attack kept out.

BREACH recovers a secret from a compressed HTTPS response when the same
response also reflects text the attacker chooses (the size of the compressed
answer tells whether a guess matched the secret). The only secret a page
body carries here is the CSRF token (no page shows a password, a session key
or an expert's contact to someone who did not sign in). Two defences:

- Django masks the token afresh in every response (a random mask XORed into
  it), so no two responses carry the same bytes to guess at, and its
  GZipMiddleware adds random bytes to each compressed body
  ("Heal the Breach", Django 4.2);
- and this middleware does not compress any response whose rendering read
  the token at all (every page with a form: sign-in, sign-up, the partner's
  and the journalists' forms), so the two never meet. The public pages
  (search, organisations, coalitions, centres, privacy) and the public API
  carry no token since the language switch became links, and are compressed.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware


def carries_csrf_token(response: HttpResponseBase) -> bool:
    # Whenever a view or a template ({% csrf_token %}) reads the token,
    # django.middleware.csrf.get_token() has CsrfViewMiddleware (inner to this
    # one) set the cookie on the response afresh (Django 4.1+): the cookie
    # is the mark of a body that carries the token.
    return settings.CSRF_COOKIE_NAME in response.cookies


class CompressionMiddleware(GZipMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if carries_csrf_token(response):
            return response
        return super().process_response(request, response)

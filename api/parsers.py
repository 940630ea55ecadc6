"""The API's JSON parser: DRF's, with a cap on nesting.

Python's json module parses nested lists and objects recursively: a body of
``"[" * 50000`` (100 kB, well under the size cap) raised RecursionError, which
DRF does not catch, and the anonymous client got a 500. No request of this
API nests deeper than a few levels (a registration's locations, each with its
hours), so anything past MAX_JSON_DEPTH is refused with a 400 that says so.
"""

from __future__ import annotations

import io
import re
from itertools import accumulate
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# The deepest legitimate body: {"locations": [{"hours": [{"opens": …}]}]} is 4.
MAX_JSON_DEPTH = 16

JSON_TOO_DEEP = _("The JSON body is nested too deeply: at most {depth} levels of lists and objects are accepted.")


# A JSON string (escapes included), and the brackets that remain once strings are gone.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(_BRACKET_STEP)))


def raw_depth_exceeds(raw: bytes, limit: int) -> bool:
    """Whether the brackets outside strings in ``raw`` nest deeper than ``limit``,
    read before any parsing: the json module recurses in C down to the
    interpreter's limit, and a garbage collection that runs a finaliser down
    there fails with a RecursionError nobody can catch."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, delete=_NOT_BRACKETS)
    return bool(brackets) and max(accumulate(_BRACKET_STEP[b] for b in brackets)) > limit


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists and objects deeper than ``limit``.
    Iterative, so that checking a deep document cannot itself recurse too deeply."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        too_deep = ParseError(str(JSON_TOO_DEEP).format(depth=MAX_JSON_DEPTH))
        raw = stream.read() if stream is not None else b""
        if raw_depth_exceeds(raw, MAX_JSON_DEPTH):
            raise too_deep
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            # Deeper than the interpreter's own limit (about 1,000 levels).
            raise too_deep from None
        if json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise too_deep
        return data

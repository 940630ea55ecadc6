"""The API's JSON parser: DRF's, with a cap on nesting.

Python's json module parses nested lists and objects recursively: a body of
``"[" * 50000`` (100 kB, well under the size cap) raised RecursionError, which
DRF does not catch, and the anonymous client got a 500. No request of this
API nests deeper than a few levels (a registration's locations, each with its
hours), so anything past MAX_JSON_DEPTH is refused with a 400 that says so.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# The deepest legitimate body: {"locations": [{"hours": [{"opens": …}]}]} is 4.
MAX_JSON_DEPTH = 16

JSON_TOO_DEEP = _("The JSON body is nested too deeply: at most {depth} levels of lists and objects are accepted.")


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
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # Deeper than the interpreter's own limit (about 1,000 levels).
            raise too_deep from None
        if json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise too_deep
        return data

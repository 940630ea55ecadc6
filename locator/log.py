"""Structured logs: one JSON object per line, on stdout.

The people who search are vulnerable, so no log line may tell who searched
for what or where. The formatter therefore writes a fixed set of fields (never
the request object or other extras a library attaches to a record), cuts the
query string off anything that looks like a URL, and blanks what looks like a
coordinate, an e-mail address or an IP address in a message. An exception is
logged by its type and its stack (code locations only), not its message, which
can carry user input such as a searched place; only infrastructure errors,
whose messages name the failing server rather than the request, keep theirs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import traceback
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from gunicorn.glogging import Logger as GunicornBaseLogger

# "/api/v1/nearest?lat=..." -> "/api/v1/nearest?…"
_QUERY_STRING = re.compile(r"(/[^\s?\"'<>]*)\?[^\s\"'<>]*")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# A decimal with two or more fractional digits: a latitude or longitude to
# within a kilometre. Durations and versions lose their digits too; they are
# not worth the risk.
_DECIMAL = re.compile(r"(?<![\w.])-?\d{1,3}\.\d{2,}(?![\w.])")

# Extra attributes of a record that may be written: no request, no user, no client.
SAFE_FIELDS = ("status_code", "method", "path", "status", "bytes", "duration_ms")

# Exceptions whose messages describe the infrastructure (a server that does
# not answer, a setting that is missing), not the request.
MESSAGE_SAFE_EXCEPTIONS = frozenset({"OperationalError", "InterfaceError", "ImproperlyConfigured", "TimeoutError"})


def _ipv6(match: re.Match[str]) -> str:
    text = match.group(0)
    # Clock times ("09:46:48") look like IPv6 groups; an address has "::" or 5+ colons.
    return "[ip]" if "::" in text or text.count(":") >= 5 else text


def scrub(text: str) -> str:
    """Remove search origins and personal data from free text."""
    text = _QUERY_STRING.sub(r"\1?…", text)
    text = _EMAIL.sub("[email]", text)
    text = _IPV4.sub("[ip]", text)
    text = _IPV6.sub(_ipv6, text)
    return _DECIMAL.sub("[number]", text)


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _exception_fields(exc_info: ExcInfo) -> dict[str, Any]:
    exc_type, exc, tb = exc_info
    fields: dict[str, Any] = {"exc_type": f"{exc_type.__module__}.{exc_type.__qualname__}"}
    if exc_type.__name__ in MESSAGE_SAFE_EXCEPTIONS:
        fields["exc_message"] = scrub(str(exc))
    causes: list[str] = []
    seen = exc.__cause__ or exc.__context__
    while seen is not None and len(causes) < 5:
        causes.append(f"{type(seen).__module__}.{type(seen).__qualname__}")
        seen = seen.__cause__ or seen.__context__
    if causes:
        fields["exc_causes"] = causes
    fields["stack"] = [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(tb)]
    return fields


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        for field in SAFE_FIELDS:
            value = record.__dict__.get(field)
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, int | float):
                entry[field] = value
            else:
                entry[field] = scrub(str(value))
        if record.exc_info and record.exc_info[0] is not None:
            entry.update(_exception_fields(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def axes_client_str(
    username: str | None, ip_address: str | None, user_agent: str | None, path_info: Any, request: Any
) -> str:
    """django-axes describes a login failure by username, IP address and browser; keep only the path."""
    path = path_info[0] if isinstance(path_info, tuple | list) else path_info
    return f"{{path_info: {json.dumps(str(path or ''))}}}"


class GunicornLogger(GunicornBaseLogger):
    """gunicorn's logs in the same JSON lines, on stdout.

    The access log has the method, the path (PATH_INFO: no query string), the
    status, the size and the time taken. No client address, no referer, no
    user agent.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())
                if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stderr:
                    handler.setStream(sys.stdout)

    def access(self, resp: Any, req: Any, environ: Mapping[str, Any], request_time: dt.timedelta) -> None:
        if not getattr(self, "access_log_enabled", True):
            return
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        method = environ.get("REQUEST_METHOD", "-")
        path = environ.get("PATH_INFO", "-")
        self.access_log.info(
            "%s %s %s",
            method,
            path,
            status,
            extra={
                "method": method,
                "path": path,
                "status": int(status) if str(status).isdigit() else str(status),
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 1),
            },
        )

"""Settings for Help Locator.

One file; every value that differs between machines comes from the environment
through the typed helpers below, which fail loudly on a malformed value rather
than silently falling back to a default.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} is required.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
# A development key is allowed only with DEBUG on; production must set its own.
SECRET_KEY = env_str("SECRET_KEY", "dev-insecure-key-do-not-use-in-production" if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "orgs",
    "api",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # gzip for HTML and JSON, never for a response carrying a CSRF token
    # (BREACH; locator/compression.py). Above every middleware that reads or
    # writes a body; static files come from whitenoise already compressed.
    "locator.compression.CompressionMiddleware",
    # ETag on every GET answer a cache may keep, 304 to a matching If-None-Match.
    # Above the headers middleware, so it sees no-store and leaves private pages alone.
    "django.middleware.http.ConditionalGetMiddleware",
    # Cache-Control: no-store on non-public answers; Permissions-Policy on all (locator/headers.py).
    "locator.headers.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Chooses the database this request reads from (a replica or the primary).
    "locator.middleware.ReadReplicaMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Oversized bodies refused before anything reads them (the CSRF check reads forms).
    "api.errors.RequestSizeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # A database outage: 503 page or JSON instead of a 500 (api/errors.py).
    "api.errors.DatabaseUnavailableMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "locator.urls"
WSGI_APPLICATION = "locator.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", "postgis://localhost:54329/helplocator"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Whatever scheme the URL uses, the project needs the PostGIS backend.
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "test_helplocator")}


def _set_session_options(db: dict[str, object]) -> None:
    """Every connection's session settings: JIT off, generic plans for
    prepared statements, and no statement prepared unless asked for."""
    # PostgreSQL JIT-compiles every plan whose cost passes jit_above_cost: on the
    # app's short queries that costs hundreds of milliseconds and saves nothing.
    # Prepared statements keep their generic plan: Django binds parameters on
    # the client and never prepares, so this only concerns the nearest search's
    # statement (orgs/search/nearest.py), whose planning cost more than running it and
    # whose generic plan is as good as a custom one.
    # Appended, so libpq options given in the URL (?options=...) still apply.
    options = db.setdefault("OPTIONS", {})
    assert isinstance(options, dict)
    options["options"] = f"{options.get('options', '')} -c jit=off -c plan_cache_mode=force_generic_plan".strip()
    # Django turns psycopg's prepared statements off (for transaction-mode
    # poolers); the nearest search asks for one explicitly, so they must be
    # allowed, but nothing is prepared automatically (Django's cursors bind on
    # the client and never prepare anyway). Behind PgBouncer, use 1.21 or newer
    # with max_prepared_statements set.
    options.setdefault("prepare_threshold", 1_000_000_000)


_set_session_options(DATABASES["default"])  # type: ignore[arg-type]

# Read replicas (PostgreSQL streaming standbys), comma-separated URLs. Anonymous
# reads go to them; writes, signed-in users, a browser's reads right after its
# own write, commands and migrations use "default" (locator/db_router.py,
# locator/middleware.py).
DATABASE_REPLICAS: list[str] = []
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    _alias = f"replica{_number}"
    DATABASES[_alias] = dj_database_url.parse(
        _url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    DATABASES[_alias]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
    # In tests a standby cannot create a database: the test database made on the
    # primary reaches it by replication. MIRROR makes the test runner rename
    # only the alias' NAME to it (HOST and PORT stay the replica's), and never
    # flush the alias or wrap it in a transaction.
    DATABASES[_alias]["TEST"] = {"MIRROR": "default"}
    _set_session_options(DATABASES[_alias])  # type: ignore[arg-type]
    DATABASE_REPLICAS.append(_alias)
DATABASE_ROUTERS = ["locator.db_router.ReplicaRouter"]
# How long a browser reads from the primary after a request that may have
# written (replication lag is normally well under a second).
DATABASE_PRIMARY_PIN_SECONDS = env_int("DATABASE_PRIMARY_PIN_SECONDS", 15)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("en", "English"), ("uk", "Українська")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve static files from the finders in development and tests (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Request and upload sizes -------------------------------------------------------
# A body over its cap is refused from its Content-Length before a byte of it is
# read (api.errors.RequestSizeMiddleware): 413, JSON under /api/, a short page
# elsewhere. deploy/nginx.conf refuses the same sizes in front (its
# client_max_body_size values must stay at or above these; tests/test_hostile_input.py checks).
MIB = 1024 * 1024


def env_size(name: str, default: int) -> int:
    value = env_int(name, default)
    if value <= 0:
        raise ImproperlyConfigured(f"{name}={value} must be a positive number of bytes.")
    return value


# A body that is not a file upload: JSON to the API, a form. The largest
# legitimate one, a partner registration with 20 locations and 30 services, is
# tens of kilobytes; a megabyte leaves room for long descriptions.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_size("DATA_UPLOAD_MAX_MEMORY_SIZE", MIB)
# Fields in one form post: that registration form at its maxima (20 locations
# with hours and languages, 30 services with every category, group and place
# ticked) sends about 3,200; Django's default of 1,000 would refuse it.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_size("DATA_UPLOAD_MAX_NUMBER_FIELDS", 4000)
# Files in one post: the admin's organisation form has one (the logo), the HSDS import one.
DATA_UPLOAD_MAX_NUMBER_FILES = env_size("DATA_UPLOAD_MAX_NUMBER_FILES", 10)
# A file upload (an organisation's logo, in the admin): the file part of a multipart body.
FILE_UPLOAD_MAX_BYTES = env_size("FILE_UPLOAD_MAX_BYTES", 4 * MIB)
# An upload larger than this is streamed to a temporary file, not held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = env_size("FILE_UPLOAD_MAX_MEMORY_SIZE", MIB)
# The admin's HSDS import (orgs/admin/hsds.py) takes a whole directory as one
# JSON file or zipped CSV package; bigger imports go through manage.py import_hsds.
HSDS_UPLOAD_MAX_BYTES = env_size("HSDS_UPLOAD_MAX_BYTES", 50 * MIB)
# Views (URL names) that accept files above FILE_UPLOAD_MAX_BYTES, with the setting holding their cap.
LARGE_UPLOAD_VIEWS = {"admin:hsds-import": "HSDS_UPLOAD_MAX_BYTES"}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser with a cap on nesting (a deep body was a RecursionError, a 500).
    "DEFAULT_PARSER_CLASSES": ["api.parsers.SafeJSONParser"],
    # Counted in the shared cache (CACHES below), so the rates hold across
    # workers and servers; the address is locator.middleware.client_ip's.
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonThrottle",
        "api.throttling.UserReadThrottle",
        "api.throttling.UserWriteThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # A public map pans and zooms: each move is one viewport request. 120/min
        # lets a person browse freely and stops a scraper walking the whole map.
        "anon": env_str("API_ANON_RATE", "120/min"),
        # A signed-in partner or coordinator: pages, the map and lists read far
        # more than a person clicks; edits and decisions a few a minute. Both
        # stop a leaked session or a runaway script, not a person.
        "user_read": env_str("API_USER_READ_RATE", "600/min"),
        "user_write": env_str("API_USER_WRITE_RATE", "60/min"),
    },
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    # Browser sessions only (with CSRF checks). DRF's default also accepts HTTP
    # Basic on every endpoint: a password guess per request, which the API
    # does not need.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # "format" is a search filter here (in person / online / phone), not a
    # renderer override.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Help Locator API",
    "DESCRIPTION": "Find the nearest help: organisations, locations and services of the coalitions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One schema name per choice set: otherwise drf-spectacular warns (and so
    # `check --deploy` does) and invents names such as "Status84bEnum".
    "ENUM_NAME_OVERRIDES": {
        "MembershipRoleEnum": "orgs.models.MembershipRole",
        "PublicationStatusEnum": "orgs.models.PublicationStatus",
        "MembershipStatusEnum": "orgs.models.MembershipStatus",
        "PressRequestStatusEnum": "orgs.models.PressRequestStatus",
        "InvitationStatusEnum": "orgs.models.InvitationStatus",
        "DecisionEnum": "orgs.models.Decision",
        # A version's change type (+ added, ~ changed, - deleted), by its old
        # name: the viewport's GeoJSON "type" enums would otherwise push it
        # to "VersionOutputTypeEnum".
        "TypeEnum": [("+", "+"), ("~", "~"), ("-", "-")],
        "ViewportModeEnum": [("points", "points"), ("clusters", "clusters")],
    },
}

# State every worker and every app server must share (rate limits, throttle
# counters) lives in the "default" cache: PostgreSQL's cache table by default
# (`manage.py createcachetable`, run after every migrate), Redis when REDIS_URL
# is set. "local" is per process, for what may differ between workers for a
# while (the taxonomy slug map in api/views.py).
REDIS_URL = env_str("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "hl"}
        if REDIS_URL
        else {
            "BACKEND": "locator.cache.DatabaseCache",
            "LOCATION": "cache_entries",
            # Django culls a third of the table past MAX_ENTRIES (300 by default),
            # live counters too: room for every client of an hour's window.
            "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 50_000)},
        }
    ),
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"},
}

# How long a browser or the nginx micro-cache may answer a public read (the
# viewport, taxonomies, organisation pages, HSDS) from its copy: an edit shows
# everywhere within this many seconds (locator/headers.py, deploy/nginx.conf).
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 10)

# Radius (metres) of the fixed offset applied to locations whose visibility is
# "approximate"; the public point lies between half of it and all of it away
# from the true point, so trilateration from the public distances converges on
# the blurred point, never on the true one.
LOCATION_BLUR_M = env_int("LOCATION_BLUR_M", 2000)

# The map's background. By default a vector basemap from this site's own
# origin: the PMTiles archive `manage.py build_basemap` makes (Natural Earth and
# the gazetteer's towns) or, with MAP_BASEMAP, an operator's own archive (for
# example an OpenStreetMap extract made with the Protomaps tools), served by
# /basemap/ (orgs/basemap/). MAP_TILES_URL, when set, draws raster tiles from
# that server instead: only for a server the operator runs, since every tile
# request tells that server the visitor's address and the area they look at.
MAP_BASEMAP_BUILT = env_str("MAP_BASEMAP_BUILT", str(BASE_DIR / "var" / "basemap" / "basemap.pmtiles"))
MAP_BASEMAP = env_str("MAP_BASEMAP", MAP_BASEMAP_BUILT)
# Shown under the map; empty: from the archive (Natural Earth and GeoNames for
# the built one, OpenStreetMap's contributors for any other).
MAP_BASEMAP_ATTRIBUTION = env_str("MAP_BASEMAP_ATTRIBUTION", "")
MAP_TILES_URL = env_str("MAP_TILES_URL", "")
MAP_TILES_ATTRIBUTION = env_str(
    "MAP_TILES_ATTRIBUTION", '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
)

# The quick-exit button (and the Escape key) replaces the page with this
# neutral one, so that a glance at the screen shows nothing of the search.
QUICK_EXIT_URL = env_str("QUICK_EXIT_URL", "https://yandex.ru/pogoda/")
# Where a partner writes to the coordinators (e.g. when their organisation's
# registry number is already held by a listing they cannot see).
# The press flow stops looking for an expert this many hours before a
# journalist's deadline: an expert's answer window ends by then, and a request
# still without an expert is answered "no expert" so she can look elsewhere.
PRESS_DEADLINE_MARGIN_HOURS = env_int("PRESS_DEADLINE_MARGIN_HOURS", 3)
COORDINATORS_EMAIL = env_str("COORDINATORS_EMAIL", env_str("DEFAULT_FROM_EMAIL", "help-locator@localhost"))
# The site's address for links in mails sent without a request at hand (the jobs, queue notifications).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "")
# Who may put the /embed/ widget in a frame (CSP frame-ancestors); every other
# page refuses to be framed (X_FRAME_OPTIONS below).
EMBED_FRAME_ANCESTORS = env_str("EMBED_FRAME_ANCESTORS", "*")

# Every message is only written to the outbox table in the sender's own
# transaction (orgs/outbox.py); `manage.py send_outbox` and a thread after each
# commit deliver it through OUTBOX_DELIVERY_BACKEND, which the environment's
# EMAIL_BACKEND names.
EMAIL_BACKEND = "orgs.outbox.OutboxBackend"
OUTBOX_DELIVERY_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# With EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
OUTBOX_SEND_ON_COMMIT = env_bool("OUTBOX_SEND_ON_COMMIT", True)
OUTBOX_KICK_LIMIT = env_int("OUTBOX_KICK_LIMIT", 20)
# Backoff doubles from 30 s to at most an hour: 30 attempts take about a day.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 30)
OUTBOX_KEEP_SENT_DAYS = env_int("OUTBOX_KEEP_SENT_DAYS", 7)
OUTBOX_KEEP_FAILED_DAYS = env_int("OUTBOX_KEEP_FAILED_DAYS", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "help-locator@localhost")
# SMTP, with EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
# Lock the (account, address) pair: behind a proxy that is misconfigured every
# visitor may share one address, and an address-only lock would shut everyone out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# django-axes would log the username, IP address and browser of every failed
# login, and keep a table of every successful one: keep neither.
AXES_CLIENT_STR_CALLABLE = "locator.log.axes_client_str"
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LOGIN_URL = "frontend:login"
LOGIN_REDIRECT_URL = "frontend:partner:dashboard"
LOGOUT_REDIRECT_URL = "frontend:home"

SECURE_CONTENT_TYPE_NOSNIFF = True
# A failed CSRF check gets the site's own error page (JSON under /api/).
CSRF_FAILURE_VIEW = "frontend.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp). No 'unsafe-inline' and no 'unsafe-eval'
# for scripts: the one inline script is folium's map set-up (numbers and fixed
# options, built server-side), which carries the per-response nonce; every other
# script is a static file. Styles likewise (the press pages' small <style> has
# the nonce). No other host at all by default: the basemap's tiles come from
# this site (connect-src 'self'); only a raster MAP_TILES_URL adds its server
# to img-src. /embed/ replaces frame-ancestors with EMBED_FRAME_ANCESTORS; the API docs
# page (Swagger UI) needs inline styles and gets them on that route only.
_tiles = urlsplit(MAP_TILES_URL.replace("{s}.", "*."))
MAP_TILES_ORIGIN = f"{_tiles.scheme}://{_tiles.netloc}" if _tiles.netloc else None
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", *([MAP_TILES_ORIGIN] if MAP_TILES_ORIGIN else [])],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
# The CSRF cookie is set only by pages with a form (the public pages have none)
# and lasts for the browser session, not Django's default year: an anonymous
# visitor leaves no long-lived cookie (docs/safety.md). A form left open past a
# browser restart gets the CSRF failure page, which says to reload.
CSRF_COOKIE_AGE = None

# HTTPS. Production runs behind a TLS-terminating reverse proxy
# (deploy/nginx.conf) that overwrites X-Forwarded-Proto and X-Forwarded-For;
# trust those headers only when such a proxy is in front (BEHIND_PROXY=true),
# or anyone could claim https or another client address.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# One function decides the client's address for the lock-out, the press limit
# and the throttles; it reads X-Forwarded-For only when BEHIND_PROXY is on.
AXES_CLIENT_IP_CALLABLE = "locator.middleware.client_ip"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# JSON lines on stdout (locator/log.py): a fixed set of fields, no query
# strings, no client addresses, no exception messages that could carry input.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "locator.log.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        # Server errors only: a 4xx is the client's business.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # runserver's request lines (development): the formatter cuts their query strings.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # With DEBUG on Django logs each SQL statement with its parameters, a
        # search's coordinates among them: never, whatever LOG_LEVEL says.
        "django.db.backends": {"level": "INFO"},
    },
}

GDAL_LIBRARY_PATH = os.environ.get("GDAL_LIBRARY_PATH") or None
GEOS_LIBRARY_PATH = os.environ.get("GEOS_LIBRARY_PATH") or None

# Debian 12 ships GDAL 3.6, which cannot block file/network access from spatial
# reference strings. The project accepts positions only as numbers and GeoJSON
# geometries (parsed by GEOS), never spatial files or SRS text from users.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Django 6 makes https the default scheme of URL form fields; opt in now.
FORMS_URLFIELD_ASSUME_HTTPS = True

# Free national hotlines (the crisis strip, the locator's empty states): a
# deployment's own file of the form of fixtures/hotlines.json, and the country
# whose lines the crisis strip shows before any search.
HOTLINES_FIXTURE = env_str("HOTLINES_FIXTURE", str(BASE_DIR / "fixtures" / "hotlines.json"))
HOTLINES_COUNTRY = env_str("HOTLINES_COUNTRY", "RU")

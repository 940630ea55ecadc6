# Help Locator application image: Debian 12 (as the development set-up), the
# pinned dependencies from pyproject.toml, static files and translations built
# in, gunicorn as an unprivileged user. See compose.yaml and README "Deploying".
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=locator.settings

# GeoDjango's C libraries, msgfmt for the translations, and the PostgreSQL 15
# client for deploy/backup.sh and restore.sh.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libgdal32 libgeos-c1v5 libproj25 gettext postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first: this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# Build-time only: settings need a key to load; the real one comes from the environment.
RUN DJANGO_DEBUG=false SECRET_KEY=build-only-not-a-secret python manage.py compilemessages -v 0 \
    && DJANGO_DEBUG=false SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --no-input -v 0

RUN useradd --system --no-create-home --home-dir /app --shell /usr/sbin/nologin helplocator \
    && mkdir -p var/media var/basemap && chown helplocator:helplocator var/media var/basemap
USER helplocator

EXPOSE 8000
ENV GUNICORN_BIND=0.0.0.0:8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "locator.wsgi"]

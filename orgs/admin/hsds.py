"""The admin's HSDS upload: /admin/hsds-import/.

A moderator uploads an HSDS JSON file, a zipped CSV data package or the
coalition template, sees a dry-run preview (what would be created, updated,
skipped, and every error and warning with its file, line and reason), then
imports the same upload with one click. The upload waits in a private
folder under MEDIA_ROOT between the two steps and is deleted after the
import (or when a newer upload replaces it).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import engines
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext_lazy as _

from orgs.hsds.importer import ImportReport, hsds_import
from orgs.hsds.tabular import read_files, tables_from_files

ALLOWED_SUFFIXES = (".json", ".ndjson", ".jsonl", ".csv", ".zip")
SESSION_KEY = "hsds_upload"
MAX_SHOWN = 300
UPLOAD_DIR_NAME = "hsds-uploads"
PERMISSION = "orgs.add_organisation"

NO_FILE = _("Choose a file to upload.")
BAD_TYPE = _("Upload a .json, .ndjson, .csv or .zip file (an HSDS file, a zipped CSV package or the template).")
TOO_BIG = _("The file is larger than %(size)s; split it or use manage.py import_hsds.")
UPLOAD_GONE = _("That upload is no longer available; upload the file again.")


class UploadForm(forms.Form):
    file = forms.FileField(label=_("HSDS file"), help_text=_(".json, .ndjson, .csv (template or one table) or .zip"))
    publish = forms.BooleanField(
        label=_("Publish new organisations"),
        required=False,
        help_text=_("Only for a trusted source: otherwise new organisations wait in the moderation queue."),
    )
    atomic = forms.BooleanField(
        label=_("All or nothing"), required=False, help_text=_("If any row has an error, import nothing.")
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is None:
            raise forms.ValidationError(NO_FILE)
        if not upload.name.lower().endswith(ALLOWED_SUFFIXES):
            raise forms.ValidationError(BAD_TYPE)
        # Its own cap (settings.HSDS_UPLOAD_MAX_BYTES): a body declaring more was
        # refused before it was read (api.errors.RequestSizeMiddleware); this is
        # the exact check on the file itself.
        if upload.size > settings.HSDS_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(TOO_BIG, params={"size": filesizeformat(settings.HSDS_UPLOAD_MAX_BYTES)})
        return upload


PAGE = """{% extends "admin/base_site.html" %}{% load i18n %}
{% block title %}{% translate "HSDS import" %}{% endblock %}
{% block content %}
<h1>{% translate "Import HSDS data" %}</h1>
<p>{% blocktranslate %}An HSDS 3 JSON file, a zipped HSDS CSV data package, or the coalition CSV template
(one row per location and service; see docs/hsds.md). Objects are matched by their HSDS id: importing the
same file again changes nothing.{% endblocktranslate %}</p>
{% if report %}
  <h2>{% if report.dry_run %}{% translate "Preview (nothing written yet)" %}
      {% else %}{% translate "Result" %}{% endif %}</h2>
  <p><strong>{{ report.summary }}</strong></p>
  {% if errors %}<h3>{% translate "Errors" %} ({{ report.errors|length }})</h3>
    <ul class="errorlist">{% for issue in errors %}<li>{{ issue }}</li>{% endfor %}</ul>{% endif %}
  {% if warnings %}<h3>{% translate "Warnings" %} ({{ report.warnings|length }})</h3>
    <ul>{% for issue in warnings %}<li>{{ issue }}</li>{% endfor %}</ul>{% endif %}
  {% if token %}
  <form method="post">{% csrf_token %}
    <input type="hidden" name="token" value="{{ token }}">
    <input type="hidden" name="publish" value="{{ publish|yesno:'1,' }}">
    <input type="hidden" name="atomic" value="{{ atomic|yesno:'1,' }}">
    <input type="submit" name="confirm" class="default" value="{% translate 'Import this file' %}">
  </form>
  {% endif %}
{% endif %}
<h2>{% translate "Upload" %}</h2>
<form method="post" enctype="multipart/form-data">{% csrf_token %}
  {{ form.as_p }}
  <input type="submit" name="preview" value="{% translate 'Preview (dry run)' %}">
</form>
{% endblock %}
"""


def _upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / UPLOAD_DIR_NAME


def _stored(token: str) -> Path | None:
    if not token.isalnum():
        return None
    matches = list(_upload_dir().glob(f"{token}.*"))
    return matches[0] if matches else None


def _forget(request: HttpRequest) -> None:
    old = request.session.pop(SESSION_KEY, None)
    if old:
        found = _stored(str(old))
        if found is not None:
            found.unlink(missing_ok=True)


def _run(stored: Path, *, dry_run: bool, publish: bool, atomic: bool, request: HttpRequest) -> ImportReport:
    files = read_files(stored)
    if stored.suffix != ".zip":
        # Keep the name the moderator uploaded, so reports point into their file.
        original = request.session.get(SESSION_KEY + "_name", stored.name)
        files = {original: next(iter(files.values()))}
    user = request.user if request.user.is_authenticated else None
    return hsds_import(
        tables=tables_from_files(files),
        dry_run=dry_run,
        publish=publish,
        atomic=atomic,
        user=user,
    )


def hsds_import_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    context: dict[str, Any] = {**admin.site.each_context(request), "form": UploadForm()}
    if request.method == "POST" and "confirm" in request.POST:
        token = request.POST.get("token", "")
        stored = _stored(token) if token == request.session.get(SESSION_KEY) else None
        if stored is None:
            messages.error(request, UPLOAD_GONE)
            return HttpResponseRedirect(reverse("admin:hsds-import"))
        report = _run(
            stored,
            dry_run=False,
            publish=bool(request.POST.get("publish")),
            atomic=bool(request.POST.get("atomic")),
            request=request,
        )
        _forget(request)
        level = messages.ERROR if report.errors else messages.SUCCESS
        messages.add_message(request, level, report.summary())
        context.update(report=report, errors=report.errors[:MAX_SHOWN], warnings=report.warnings[:MAX_SHOWN])
    elif request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            _forget(request)
            upload = form.cleaned_data["file"]
            token = secrets.token_hex(16)
            directory = _upload_dir()
            directory.mkdir(parents=True, exist_ok=True)
            stored = directory / f"{token}{Path(upload.name).suffix.lower()}"
            with stored.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            request.session[SESSION_KEY] = token
            request.session[SESSION_KEY + "_name"] = Path(upload.name).name
            publish, atomic = form.cleaned_data["publish"], form.cleaned_data["atomic"]
            try:
                report = _run(stored, dry_run=True, publish=publish, atomic=atomic, request=request)
            except (UnicodeDecodeError, ValueError, OSError) as exc:
                _forget(request)
                form.add_error("file", _("The file cannot be read: %(error)s") % {"error": exc})
            else:
                context.update(
                    report=report,
                    errors=report.errors[:MAX_SHOWN],
                    warnings=report.warnings[:MAX_SHOWN],
                    token=token,
                    publish=publish,
                    atomic=atomic,
                )
    template = engines["django"].from_string(PAGE)
    return HttpResponse(template.render(context, request))


def _with_hsds_urls(get_urls: Callable[[], list[URLPattern | URLResolver]]) -> Callable[[], list[Any]]:
    def urls() -> list[Any]:
        view = admin.site.admin_view(hsds_import_view)
        return [path("hsds-import/", view, name="hsds-import"), *get_urls()]

    return urls


admin.site.get_urls = _with_hsds_urls(admin.site.get_urls)  # type: ignore[method-assign]

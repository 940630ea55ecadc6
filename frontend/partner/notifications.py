"""A coordinator's choice: an e-mail for each new item in the queue, or one digest a day; and the mails' language."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from frontend.partner.service_errors import attach_service_errors
from orgs import models as m
from orgs import services
from orgs.permissions import signed_in_user


class NotificationForm(forms.Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("When something new waits in your queue"),
        choices=m.NotificationMode.choices,
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the e-mails"),
        choices=[("", gettext_lazy("The site's language (Russian)")), *settings.LANGUAGES],
        required=False,
    )


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    pref = m.NotificationPreference.objects.filter(user=user).first()
    initial = {"mode": pref.mode if pref else m.NotificationMode.EACH, "language": pref.language if pref else ""}
    form = NotificationForm(request.POST or None, initial=initial)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_preference_set(
                user=user, mode=form.cleaned_data["mode"], language=form.cleaned_data["language"]
            )
        except ValidationError as exc:
            errors = attach_service_errors(exc, main=form)
        else:
            messages.success(request, _("Saved: your e-mails follow your choice from now on."))
            return redirect("frontend:partner:notifications")
    return render(
        request,
        "frontend/partner/notifications.html",
        {"form": form, "errors": errors, "failed": request.method == "POST"},
        status=400 if request.method == "POST" else 200,
    )

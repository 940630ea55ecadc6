"""A visitor tells a public listing is wrong: no account, a trap field, limits
(orgs.services.corrections). The page keeps nothing of who asked."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from frontend import selectors as fs
from locator.middleware import client_ip
from orgs import models as m
from orgs import services
from orgs.services import corrections


class CorrectionForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What is wrong"), choices=m.CorrectionKind.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=gettext_lazy("What should it say"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("e.g. the right phone number, or since when it is closed. Do not write about yourself."),
        required=False,
    )
    email = forms.EmailField(
        label=gettext_lazy("Your e-mail, if you want an answer (optional)"),
        required=False,
        help_text=gettext_lazy(
            "Only the listing's team and the coordinators see it; it is erased once they deal with it."
        ),
    )
    # The trap: hidden from people (and from screen readers), filled by bots.
    website = forms.CharField(
        label=gettext_lazy("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )


@require_http_methods(["GET", "POST"])
def correction(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(fs.organisation_page(slug))
    form = CorrectionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.correction_suggest(
                    organisation=org,
                    data=form.cleaned_data,
                    client_ip=client_ip(request),
                    base_url=request.build_absolute_uri("/"),
                )
            except ValidationError as exc:
                for field, msgs in exc.message_dict.items():
                    visible = field in form.fields and field != corrections.HONEYPOT_FIELD
                    form.add_error(field if visible else None, msgs)
            except services.CorrectionsLimited as exc:
                form.add_error(None, exc.message)
                status = 429
            else:
                return render(request, "frontend/correction_sent.html", {"org": org})
    return render(request, "frontend/correction.html", {"org": org, "form": form}, status=status)

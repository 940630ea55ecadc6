"""The coordinators' page for what their coalition answers journalists on
(categories, target groups) and how long its experts have to answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from frontend import selectors as fs
from frontend.templatetags.frontend_tags import localized
from orgs import models as m
from orgs import press
from orgs.permissions import signed_in_user


class PressTopicsForm(forms.Form):
    categories = forms.MultipleChoiceField(
        label=gettext_lazy("Topics your coalition answers journalists on"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    target_groups = forms.MultipleChoiceField(
        label=gettext_lazy("Who they concern"), required=False, widget=forms.CheckboxSelectMultiple
    )
    answer_hours = forms.IntegerField(
        label=gettext_lazy("Hours an expert has to answer"),
        min_value=1,
        max_value=24 * 14,
        help_text=gettext_lazy(
            "Working hours on the expert's clock when the expert gave a time zone; never past the deadline "
            "less the margin kept for telling the journalist."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [  # type: ignore[attr-defined]
            (o.category.slug, f"{o.indent}{localized(o.category, 'name')}") for o in fs.category_options()
        ]
        self.fields["target_groups"].choices = [  # type: ignore[attr-defined]
            (t.slug, localized(t, "name")) for t in m.TargetGroup.objects.all()
        ]


def _initial(network: m.Network) -> dict[str, Any]:
    return {
        "categories": [c.slug for c in network.press_categories.all()],
        "target_groups": [t.slug for t in network.press_target_groups.all()],
        "answer_hours": network.press_answer_hours,
    }


@login_required
@require_http_methods(["GET", "POST"])
def press_topics(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    networks = press.networks_coordinated(user=user)
    if not networks:
        raise Http404
    forms_by_net = {n.pk: PressTopicsForm(initial=_initial(n), prefix=n.slug) for n in networks}
    status = 200
    if request.method == "POST":
        network = next((n for n in networks if n.slug == request.POST.get("network")), None)
        if network is None:
            raise Http404
        form = PressTopicsForm(request.POST, prefix=network.slug)
        forms_by_net[network.pk] = form
        status = 400
        if form.is_valid():
            try:
                press.network_press_topics_update(
                    user=user,
                    network=network,
                    category_slugs=form.cleaned_data["categories"],
                    target_slugs=form.cleaned_data["target_groups"],
                    answer_hours=form.cleaned_data["answer_hours"],
                )
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
            else:
                return HttpResponseRedirect(reverse("frontend:press:topics") + f"#network-{network.slug}")
    context = {"entries": [(n, forms_by_net[n.pk]) for n in networks]}
    return render(request, "frontend/press/topics.html", context, status=status)

"""Pages for press requests: the journalist's form, confirmation and private
tracking page; the expert's answer page (no login), profile and disclosure
log; the coordinators' ranking; an owner's experts.

Thin views around orgs.press. Tokens arrive in the query string (``?t=``),
which the production access log leaves out; every page here is kept out of
search engines and sends no referrer to other sites, so a token does not travel on.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from api.press import urgent_first
from frontend import labels
from frontend import selectors as fs
from frontend.templatetags.frontend_tags import localized
from locator.middleware import client_ip
from orgs import models as m
from orgs import press
from orgs.permissions import signed_in_user

COORDINATE_PER_PAGE = 50
# Time zones a deadline may be given in (the journalist's own clock).
DEADLINE_ZONES = [*labels.TIMEZONES, "UTC"]
LANGUAGES = press.COMMENT_LANGUAGES


def _private(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The address of these pages (which may hold a token) is never sent to
    another site as a referrer. Not "no-referrer": browsers then send
    ``Origin: null`` with the page's own forms, which CSRF checking refuses."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapped


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _with_token(name: str, token: str) -> str:
    return f"{reverse(name)}?{urlencode({'t': token})}"


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            # The trap field is hidden: its message goes where a person sees it.
            visible = field in form.fields and field != press.HONEYPOT_FIELD
            form.add_error(field if visible else None, messages)
    else:
        form.add_error(None, exc.messages)


def _message(request: HttpRequest, title: str, text: str, *, status: int = 200) -> HttpResponse:
    return render(request, "frontend/press/message.html", {"title": title, "text": text}, status=status)


def _category_choices() -> list[tuple[str, str]]:
    return [(opt.category.slug, f"{opt.indent}{localized(opt.category, 'name')}") for opt in fs.category_options()]


# --- the journalist ----------------------------------------------------------------------


class PressRequestForm(forms.Form):
    journalist_name = forms.CharField(label=gettext_lazy("Your name"), max_length=200)
    outlet = forms.CharField(label=gettext_lazy("Outlet (media)"), max_length=200)
    email = forms.EmailField(
        label=gettext_lazy("E-mail"), help_text=gettext_lazy("We send a link to confirm the request.")
    )
    phone = forms.CharField(label=gettext_lazy("Phone (optional)"), max_length=40, required=False)
    topic = forms.CharField(label=gettext_lazy("Topic, in your words"), max_length=500)
    categories = forms.MultipleChoiceField(
        label=gettext_lazy("Topics it concerns"), required=False, widget=forms.CheckboxSelectMultiple
    )
    target_groups = forms.MultipleChoiceField(
        label=gettext_lazy("Who it concerns"), required=False, widget=forms.CheckboxSelectMultiple
    )
    place = forms.CharField(
        label=gettext_lazy("Town or city (optional)"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Experts nearest to it are proposed first."),
    )
    region = forms.CharField(label=gettext_lazy("Region (optional)"), max_length=200, required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language of the comment"), choices=LANGUAGES)
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=m.PressFormat.choices, widget=forms.RadioSelect)
    deadline = forms.DateTimeField(
        label=gettext_lazy("Deadline"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    deadline_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone of the deadline"), choices=[(z, z) for z in DEADLINE_ZONES]
    )
    questions = forms.CharField(
        label=gettext_lazy("Questions for the expert"), required=False, widget=forms.Textarea, max_length=5000
    )
    # The trap: hidden from people (and from screen readers), filled by bots.
    website = forms.CharField(
        label=gettext_lazy("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = _category_choices()  # type: ignore[attr-defined]
        self.fields["target_groups"].choices = [  # type: ignore[attr-defined]
            (t.slug, localized(t, "name")) for t in m.TargetGroup.objects.all()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        deadline = data.get("deadline")
        zone = data.get("deadline_zone")
        if isinstance(deadline, dt.datetime) and zone:
            # The browser's datetime-local is a wall-clock time: read it on the chosen clock.
            naive = timezone.make_naive(deadline) if timezone.is_aware(deadline) else deadline
            data["deadline"] = naive.replace(tzinfo=zoneinfo.ZoneInfo(zone))
        return data


@_private
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    initial = {"language": "ru", "format": m.PressFormat.WRITTEN, "deadline_zone": "Europe/Moscow"}
    form = PressRequestForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                press.press_request_create(
                    data=form.cleaned_data, client_ip=client_ip(request), base_url=_base_url(request)
                )
            except press.RateLimited as exc:
                form.add_error(None, exc.message)
                status = 429
            except press.DuplicateRequest as exc:
                # A double click: the browser shows this second answer, so it says what happened.
                return _message(request, _("Already sent"), exc.message, status=409)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return HttpResponseRedirect(reverse("frontend:press:sent"))
    return render(request, "frontend/press/request_form.html", {"form": form}, status=status)


@_private
def request_sent(request: HttpRequest) -> HttpResponse:
    return _message(
        request,
        _("Check your e-mail"),
        _("We sent you a link. Open it and confirm the request: nothing is sent to experts before that."),
    )


@_private
@require_http_methods(["GET", "POST"])
def request_confirm(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("t") or request.GET.get("t") or ""
    if request.method == "POST":
        try:
            _req, tracking = press.press_request_confirm(token=token, base_url=_base_url(request))
        except PermissionDenied as exc:
            return _message(request, _("The request cannot be confirmed"), str(exc), status=403)
        if tracking is None:
            return _message(
                request,
                _("Already confirmed"),
                _("This request was confirmed before. Follow it through the link in the second e-mail."),
            )
        return HttpResponseRedirect(_with_token("frontend:press:track", tracking))
    # A GET only shows the request: mail scanners that open links must not confirm it.
    req_or_none = press.press_request_pending_confirmation(token=token)
    if req_or_none is None:
        return _message(request, _("The request cannot be confirmed"), str(press.LINK_INVALID), status=404)
    return render(request, "frontend/press/confirm.html", {"req": req_or_none, "token": token})


@_private
@require_http_methods(["GET", "POST"])
def request_track(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("t") or request.GET.get("t") or ""
    error = ""
    try:
        if request.method == "POST" and request.POST.get("action") == "withdraw":
            try:
                press.press_request_withdraw(token=token)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                return HttpResponseRedirect(_with_token("frontend:press:track", token))
        req = press.press_request_track(token=token)
    except PermissionDenied as exc:
        return _message(request, _("Request not found"), str(exc), status=404)
    accepted = req.invitations.filter(status=m.InvitationStatus.ACCEPTED).select_related("expert__organisation")
    context = {
        "req": req,
        "token": token,
        "error": error,
        "accepted": accepted.first(),
        "can_withdraw": req.status in (*press.OPEN_STATUSES, m.PressRequestStatus.FOUND),
        "looking_ends": req.deadline - press.deadline_margin(),
        "steps": [
            (s, s.label)
            for s in (
                m.PressRequestStatus.RECEIVED,
                m.PressRequestStatus.SEARCHING,
                m.PressRequestStatus.FOUND,
                m.PressRequestStatus.NO_EXPERT,
                m.PressRequestStatus.CLOSED,
            )
        ],
    }
    return render(request, "frontend/press/track.html", context, status=400 if error else 200)


# --- the expert's answer (no login) ----------------------------------------------------------


def _masked_email(address: str) -> str:
    local, _at, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


class AnswerForm(forms.Form):
    contacts = forms.MultipleChoiceField(
        label=gettext_lazy("Give the journalist"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, allowed: list[str], expert: m.Expert, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Enough of each value for her to tell which it is, not the value: the
        # link may have been forwarded, and whoever holds it sees this page.
        labels = {
            press.CONTACT_EMAIL: _("my e-mail (%(value)s)") % {"value": _masked_email(expert.email)},
            press.CONTACT_PHONE: _("my phone (%(value)s)") % {"value": "…" + expert.phone[-4:]},
        }
        self.fields["contacts"].choices = [(c, labels[c]) for c in allowed]  # type: ignore[attr-defined]
        self.fields["contacts"].initial = allowed


@_private
@require_http_methods(["GET", "POST"])
def invitation_answer(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("t") or request.GET.get("t") or ""
    invitation = press.invitation_by_token(token=token)
    if invitation is None:
        return _message(request, _("Link not valid"), str(press.LINK_INVALID), status=404)
    problem = press.invitation_state_error(invitation)
    if problem:
        return _message(request, _("This request cannot be answered"), problem, status=410)
    # The page in the language she reads her e-mails in (her profile's).
    with translation.override(invitation.expert.interface_language or settings.LANGUAGE_CODE):
        request.LANGUAGE_CODE = translation.get_language()
        return _answer(request, token, invitation)


def _answer(request: HttpRequest, token: str, invitation: m.ExpertInvitation) -> HttpResponse:
    allowed = press.shareable_contacts(invitation.expert)
    form = AnswerForm(request.POST or None, allowed=allowed, expert=invitation.expert)
    if request.method == "POST" and form.is_valid():
        accept = request.POST.get("answer") == "accept"
        try:
            press.invitation_answer(
                token=token,
                accept=accept,
                contacts=form.cleaned_data["contacts"] if accept else None,
                base_url=_base_url(request),
                user=request.user if isinstance(request.user, User) else None,
            )
        except PermissionDenied as exc:
            return _message(request, _("This request cannot be answered"), str(exc), status=410)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if accept:
                return _message(
                    request,
                    _("Thank you"),
                    _("We sent the journalist the contacts you chose, and you the journalist's contacts."),
                )
            return _message(request, _("Thank you"), _("You declined. We will ask another expert."))
    context = {
        "invitation": invitation,
        "req": invitation.request,
        "form": form,
        "token": token,
        "zone": invitation.expert.time_zone or press.DEFAULT_ZONE,
        "topics": list(invitation.request.categories.all()),
        "targets": list(invitation.request.target_groups.all()),
    }
    return render(request, "frontend/press/answer.html", context, status=400 if form.errors else 200)


# --- coordinators --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def coordinate_list(request: HttpRequest) -> HttpResponse:
    # A page at a time (requests pile up over the years); a page number out of
    # range or not a number shows the last or the first page.
    paginator = Paginator(urgent_first(press.press_requests_for(user=signed_in_user(request))), COORDINATE_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "frontend/press/coordinate_list.html", {"requests": page.object_list, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def coordinate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    try:
        req = press.press_request_for_coordinator(user=user, pk=pk)
    except press.NotYours as exc:
        return render(request, "frontend/press/not_yours.html", {"networks": exc.networks}, status=403)
    error = ""
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "no_expert":
                press.press_request_mark_no_expert(user=user, press_request=req)
            elif action == "widen":
                wider = [int(v) for v in request.POST.getlist("networks") if v.isdigit()]
                press.press_request_widen(
                    user=user,
                    press_request=req,
                    network_ids=wider,
                    everywhere=request.POST.get("everywhere") == "1",
                    base_url=_base_url(request),
                )
            else:
                ids = [int(v) for v in request.POST.getlist("experts") if v.isdigit()]
                press.press_request_send(user=user, press_request=req, expert_ids=ids, base_url=_base_url(request))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return HttpResponseRedirect(reverse("frontend:press:coordinate", args=[pk]))
    context = {
        "req": req,
        "ranking": press.experts_ranked(press_request=req),
        "invitations": req.invitations.select_related("expert__organisation").order_by("created_at"),
        "can_send": req.status in press.OPEN_STATUSES,
        "networks": list(req.networks.all()),
        "wider": m.Network.objects.exclude(pk__in=press.request_network_ids(req)),
        "looking_ends": req.deadline - press.deadline_margin(),
        "error": error,
    }
    return render(request, "frontend/press/coordinate_detail.html", context, status=400 if error else 200)


# --- experts' own pages ----------------------------------------------------------------------


class ExpertProfileForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("First and last name"), max_length=200)
    topics = forms.MultipleChoiceField(
        label=gettext_lazy("Topics you comment on"), required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.CharField(
        label=gettext_lazy("Languages"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("ISO codes separated by commas, e.g. ru, en."),
    )
    place = forms.CharField(label=gettext_lazy("Your town"), max_length=200, required=False)
    on_camera = forms.BooleanField(label=gettext_lazy("I will appear on camera"), required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail (private)"), required=False)
    phone = forms.CharField(label=gettext_lazy("Phone (private)"), max_length=40, required=False)
    share_email = forms.BooleanField(
        label=gettext_lazy("My e-mail may be given to a journalist I accept"), required=False
    )
    share_phone = forms.BooleanField(
        label=gettext_lazy("My phone may be given to a journalist I accept"), required=False
    )
    conditions = forms.CharField(
        label=gettext_lazy("Your conditions for journalists (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "For example: I approve quotes before publication. Sent to the journalist with your contacts."
        ),
    )
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Your time zone"),
        required=False,
        choices=[
            ("", gettext_lazy("Not set: Moscow time, answer windows around the clock")),
            *[(z, z) for z in DEADLINE_ZONES],
        ],
        help_text=gettext_lazy("Answer windows count your working hours (9:00–19:00, Monday to Friday) on this clock."),
    )
    interface_language = forms.ChoiceField(
        label=gettext_lazy("Language of the e-mails to you"),
        choices=[("ru", "Русский"), ("uk", "Українська"), ("en", "English")],
        required=False,
    )
    paused = forms.BooleanField(label=gettext_lazy("Pause: ask me nothing for now"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = _category_choices()  # type: ignore[attr-defined]

    def clean_interface_language(self) -> str:
        return self.cleaned_data.get("interface_language") or "ru"

    def clean_languages(self) -> list[str]:
        codes = [c.strip().lower() for c in self.cleaned_data.get("languages", "").split(",") if c.strip()]
        bad = [c for c in codes if not (2 <= len(c) <= 3 and c.isalpha() and c.isascii())]
        if bad:
            raise ValidationError(
                _("Not a language code: %(codes)s. Use codes such as ru, en.") % {"codes": ", ".join(bad)}
            )
        return codes


def _profile_initial(expert: m.Expert) -> dict[str, Any]:
    return {
        "full_name": expert.full_name,
        "topics": [t.slug for t in expert.topics.all()],
        "languages": ", ".join(expert.languages),
        "place": (expert.place.name_ru or expert.place.name) if expert.place else "",
        "on_camera": expert.on_camera,
        "email": expert.email,
        "phone": expert.phone,
        "share_email": expert.share_email,
        "share_phone": expert.share_phone,
        "paused": expert.paused,
        "conditions": expert.conditions,
        "time_zone": expert.time_zone,
        "interface_language": expert.interface_language,
    }


@_private
@login_required
@require_http_methods(["GET", "POST"])
def expert_me(request: HttpRequest) -> HttpResponse:
    """The expert's profiles, the requests put to them and the log of every disclosure."""
    user = signed_in_user(request)
    experts = list(press.experts_of_user(user=user))
    forms_by_expert = {e.pk: ExpertProfileForm(initial=_profile_initial(e), prefix=f"e{e.pk}") for e in experts}
    status = 200
    if request.method == "POST":
        expert = get_object_or_404(press.experts_of_user(user=user), pk=request.POST.get("expert") or 0)
        form = ExpertProfileForm(request.POST, prefix=f"e{expert.pk}")
        forms_by_expert[expert.pk] = form
        if form.is_valid():
            try:
                press.expert_profile_update(user=user, expert=expert, data=form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return HttpResponseRedirect(reverse("frontend:press:me"))
        status = 400
    context = {
        "profiles": [(e, forms_by_expert[e.pk]) for e in experts],
        "invitations": press.invitations_of_user(user=user)[:100],
        "disclosures": press.disclosures_of_user(user=user)[:500],
    }
    return render(request, "frontend/press/me.html", context, status=status)


@_private
@login_required
@require_http_methods(["GET", "POST"])
def expert_join(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("t") or request.GET.get("t") or ""
    try:
        organisation, email = press.expert_join_payload(token=token)
    except PermissionDenied as exc:
        return _message(request, _("Link not valid"), str(exc), status=404)
    user = signed_in_user(request)
    form = ExpertProfileForm(
        request.POST or None,
        initial={
            "email": email,
            "full_name": user.get_full_name(),
            "share_email": True,
            "languages": "ru",
            "interface_language": request.LANGUAGE_CODE,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            press.expert_join(user=user, token=token, data=form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return HttpResponseRedirect(reverse("frontend:press:me"))
    return render(
        request,
        "frontend/press/join.html",
        {"organisation": organisation, "form": form, "token": token},
        status=400 if form.errors else 200,
    )


class InviteExpertForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("The expert's e-mail"))


@login_required
@require_http_methods(["GET", "POST"])
def organisation_experts(request: HttpRequest, slug: str) -> HttpResponse:
    """An owner sees the organisation's experts and invites new ones by e-mail."""
    user = signed_in_user(request)
    organisation = get_object_or_404(m.Organisation, slug=slug)
    experts = list(press.experts_of_organisation(user=user, organisation=organisation))
    form = InviteExpertForm(request.POST or None)
    sent = ""
    if request.method == "POST" and form.is_valid():
        try:
            press.expert_invite_person(
                user=user, organisation=organisation, email=form.cleaned_data["email"], base_url=_base_url(request)
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            sent = form.cleaned_data["email"]
            form = InviteExpertForm()
    return render(
        request,
        "frontend/press/organisation_experts.html",
        {"organisation": organisation, "experts": experts, "form": form, "sent": sent},
        status=400 if form.errors else 200,
    )

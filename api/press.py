"""Press requests over HTTP: journalists (no account; private tokens), experts
answering (one-time tokens) and coordinators (session login).

Tokens travel in the JSON body or the query string, never in the path: the
production access log records paths but leaves out query strings. No response
here carries an expert's contact; the journalist receives the contacts an
expert agreed to share by e-mail only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import Case, F, QuerySet, Value, When
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import FORBIDDEN, public_errors, write_errors
from api.serializers import JSONInput
from locator.middleware import client_ip
from orgs import models as m
from orgs import press
from orgs.permissions import signed_in_user

DUPLICATE = OpenApiResponse(
    {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
    description="The same request from the same address was saved a moment ago; this one is not saved again.",
)
LANGUAGE = r"^[a-z]{2,3}$"
# Coordinators' lists come in pages: requests pile up over the years.
PER_PAGE = 50
MAX_PER_PAGE = 200
# The same words as the public API's (api.serializers.EMPTY_VALUE).
EMPTY_VALUE = _lazy("Give a value or leave the parameter out.")

# --- input -----------------------------------------------------------------------------


# Bodies take only their own JSON types (api.serializers.JSONInput): DRF alone
# would register {"journalist_name": 0} as a journalist called "0".


class PressRequestInput(JSONInput):
    journalist_name = serializers.CharField(max_length=200)
    outlet = serializers.CharField(max_length=200)
    email = serializers.EmailField()
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    topic = serializers.CharField(max_length=500, help_text="The topic in your own words.")
    questions = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    categories = serializers.ListField(
        child=serializers.SlugField(), required=False, default=list, max_length=20, help_text="Category slugs."
    )
    target_groups = serializers.ListField(
        child=serializers.SlugField(), required=False, default=list, max_length=20, help_text="Target-group slugs."
    )
    place = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="A town, in Cyrillic or Latin."
    )
    place_id = serializers.IntegerField(required=False, help_text="Gazetteer id of the town (from /api/v1/places).")
    region = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    language = serializers.RegexField(LANGUAGE, required=False, default="ru", help_text="ISO 639 code, e.g. ru.")
    format = serializers.ChoiceField(choices=m.PressFormat.choices, required=False, default=m.PressFormat.WRITTEN)
    deadline = serializers.DateTimeField(help_text="ISO 8601 with a time zone, e.g. 2025-05-01T18:00:00+03:00.")
    network = serializers.SlugField(required=False, allow_blank=True, default="", help_text="Coalition slug.")
    website = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Leave empty (a trap for automated submissions)."
    )


class TokenInput(JSONInput):
    token = serializers.CharField(max_length=200)


class AnswerInput(TokenInput):
    answer = serializers.ChoiceField(choices=["accept", "decline"])
    contacts = serializers.ListField(
        child=serializers.ChoiceField(choices=list(press.CONTACT_KINDS)),
        required=False,
        max_length=2,
        help_text="Which of the contacts your profile allows to give; all of them when left out.",
    )


class SendInput(JSONInput):
    experts = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=20)


# --- the coordinators' list, a page at a time (a FilterSet) ---------------------------


class _QueryValue(forms.TextInput):
    """A query parameter's value; an empty one among repeats wins, so that it is
    refused (as everywhere in the API: api.views) rather than overridden."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        values = data.getlist(name) if isinstance(data, QueryDict) else [data[name]] if name in data else []
        if "" in values:
            return ""
        return values[-1] if values else None


class _QueryInteger(forms.Field):
    """A whole number checked by a DRF IntegerField (``rule``): the FilterSet's
    400 reads word for word like the rest of the API's, in every language."""

    def __init__(self, *, rule: serializers.IntegerField, **kwargs: Any) -> None:
        self.rule = rule
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        if value is None:
            return self.rule.get_default()
        if value == "":
            # "?page=" is a mistake to name, not "the first page" (forms read
            # an empty value as a missing one).
            raise forms.ValidationError(EMPTY_VALUE, code="empty")
        try:
            return self.rule.run_validation(value)
        except serializers.ValidationError as exc:
            details = exc.detail if isinstance(exc.detail, list) else [exc.detail]
            raise forms.ValidationError(
                [forms.ValidationError(str(d), code=getattr(d, "code", None)) for d in details]
            ) from exc


class PageFilter(django_filters.Filter):
    """A paging parameter: validated and documented (drf-spectacular) by its
    ``rule``; it selects no rows itself, the FilterSet cuts the page."""

    field_class = _QueryInteger

    def __init__(self, rule: serializers.IntegerField, **kwargs: Any) -> None:
        super().__init__(rule=rule, widget=_QueryValue, **kwargs)
        extend_schema_field(rule)(self)

    def filter(self, qs: Any, value: Any) -> Any:
        return qs


class CoordinationPage(django_filters.FilterSet):
    """The query of the coordinators' list: ``page`` and ``per_page`` cut a
    window out of the requests in their order (api.press.urgent_first)."""

    page = PageFilter(serializers.IntegerField(default=1, min_value=1, max_value=100_000))
    per_page = PageFilter(
        serializers.IntegerField(
            default=PER_PAGE,
            min_value=1,
            max_value=MAX_PER_PAGE,
            help_text="Requests per page; a page shorter than this is the last.",
        )
    )

    class Meta:
        model = m.PressRequest
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[m.PressRequest]) -> QuerySet[m.PressRequest]:
        # A window, not a condition: cut last, from the list in its order.
        queryset = super().filter_queryset(queryset)
        page, per_page = self.form.cleaned_data["page"], self.form.cleaned_data["per_page"]
        start = (page - 1) * per_page
        return queryset[start : start + per_page]


# --- output (they produce each answer, so the schema that clients and the fuzz test
# read cannot drift from it) ---------------------------------------------------------


class CreatedOutput(serializers.Serializer):
    status = serializers.CharField()
    detail = serializers.CharField()


class ExpertNameOutput(serializers.Serializer):
    name = serializers.CharField()
    organisation = serializers.CharField()


class StatusOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=m.PressRequestStatus.choices)
    status_label = serializers.CharField()
    topic = serializers.CharField()
    outlet = serializers.CharField()
    deadline = serializers.DateTimeField()
    expert = ExpertNameOutput(allow_null=True, help_text="Who agreed; the contacts go by e-mail only.")
    contacts_sent_by_email = serializers.BooleanField()


class ConfirmOutput(StatusOutput):
    tracking_token = serializers.CharField(
        allow_null=True, help_text="The private tracking token; null when the request was confirmed before."
    )


class AnswerOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=m.InvitationStatus.choices)


class SummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    topic = serializers.CharField()
    outlet = serializers.CharField()
    status = serializers.ChoiceField(choices=m.PressRequestStatus.choices)
    deadline = serializers.DateTimeField()
    format = serializers.ChoiceField(choices=m.PressFormat.choices)
    language = serializers.CharField()
    place = serializers.CharField(allow_null=True)
    region = serializers.CharField(allow_blank=True)
    network = serializers.CharField(allow_null=True)


# An orgs.press.RankedExpert, without a contact. (Comments, not docstrings: drf-spectacular
# would publish a docstring as the schema's description.)
class RankedOutput(serializers.Serializer):
    expert = serializers.IntegerField(source="expert.pk")
    name = serializers.CharField(source="expert.full_name")
    organisation = serializers.CharField(source="expert.organisation.name")
    topic_score = serializers.IntegerField()
    language_match = serializers.BooleanField()
    distance_km = serializers.IntegerField(allow_null=True)
    on_camera = serializers.BooleanField(source="expert.on_camera")


# An invitation as a coordinator sees it: whom, its state, until when.
class PressInvitationOutput(serializers.Serializer):
    expert = serializers.CharField(source="expert.full_name")
    status = serializers.ChoiceField(choices=m.InvitationStatus.choices)
    expires_at = serializers.DateTimeField()


class DetailOutput(SummaryOutput):
    questions = serializers.CharField(allow_blank=True)
    categories = serializers.ListField(child=serializers.CharField())
    target_groups = serializers.ListField(child=serializers.CharField())
    ranking = RankedOutput(many=True)
    invitations = PressInvitationOutput(many=True)


class SentOutput(serializers.Serializer):
    sent = serializers.ListField(child=serializers.IntegerField())
    status = serializers.CharField()


class NoExpertOutput(serializers.Serializer):
    status = serializers.CharField()


def _token_errors() -> dict[int, Any]:
    """A public endpoint answered with a token: a wrong, used or expired one is a 403."""
    return {**public_errors(), 403: FORBIDDEN}


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def urgent_first(qs: QuerySet[m.PressRequest], *, now: dt.datetime | None = None) -> QuerySet[m.PressRequest]:
    """Requests whose deadline is still ahead first, the soonest first; then
    past ones, the latest first: the first page is the one that needs work."""
    now = now or timezone.now()
    past = Case(When(deadline__lt=now, then=Value(1)), default=Value(0))
    ahead = Case(When(deadline__gte=now, then=F("deadline")))
    return qs.order_by(past, ahead.asc(nulls_last=True), F("deadline").desc(), "pk")


def _base_url(request: Request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _status(req: m.PressRequest) -> dict[str, Any]:
    """What the journalist's private link shows: the state, never a contact."""
    accepted = req.invitations.filter(status=m.InvitationStatus.ACCEPTED).select_related("expert__organisation").first()
    return {
        "status": req.status,
        "status_label": str(req.get_status_display()),
        "topic": req.topic,
        "outlet": req.outlet,
        "deadline": req.deadline,
        "expert": (
            {"name": accepted.expert.full_name, "organisation": accepted.expert.organisation.name} if accepted else None
        ),
        "contacts_sent_by_email": accepted is not None,
    }


# --- journalists -----------------------------------------------------------------------


class PublicView(APIView):
    # Anonymous by design: the tokens are the credentials, so no session (and
    # no session CSRF) is involved.
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class PressRequestCreateView(PublicView):
    @extend_schema(
        summary="Ask for an expert comment (confirmed by an e-mailed link before anything happens)",
        request=PressRequestInput,
        responses={201: CreatedOutput, 409: DUPLICATE, **public_errors()},
    )
    def post(self, request: Request) -> Response:
        data = _valid(PressRequestInput, request.data)
        try:
            created = press.press_request_create(data=data, client_ip=client_ip(request), base_url=_base_url(request))
        except press.RateLimited as exc:
            return Response({"detail": exc.message}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        except press.DuplicateRequest as exc:
            # Saved once already: 409 and no second mail (the first one's link confirms it).
            return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
        answer = {
            "status": created.request.status,
            "detail": _("Check your e-mail and open the link in it to confirm the request."),
        }
        return Response(CreatedOutput(answer).data, status=status.HTTP_201_CREATED)


class PressRequestConfirmView(PublicView):
    @extend_schema(
        summary="Confirm a request with the token from the e-mail",
        request=TokenInput,
        responses={200: ConfirmOutput, **_token_errors()},
    )
    def post(self, request: Request) -> Response:
        data = _valid(TokenInput, request.data)
        req, tracking = press.press_request_confirm(token=data["token"], base_url=_base_url(request))
        return Response(ConfirmOutput({**_status(req), "tracking_token": tracking}).data)


class PressRequestStatusView(PublicView):
    @extend_schema(
        summary="The state of your request (private tracking token)",
        parameters=[OpenApiParameter("token", str, required=True)],
        responses={200: StatusOutput, **_token_errors()},
    )
    def get(self, request: Request) -> Response:
        data = _valid(TokenInput, request.query_params)
        return Response(StatusOutput(_status(press.press_request_track(token=data["token"]))).data)


class PressRequestWithdrawView(PublicView):
    @extend_schema(
        summary="Withdraw your request", request=TokenInput, responses={200: StatusOutput, **_token_errors()}
    )
    def post(self, request: Request) -> Response:
        data = _valid(TokenInput, request.data)
        return Response(StatusOutput(_status(press.press_request_withdraw(token=data["token"]))).data)


# --- experts ---------------------------------------------------------------------------


class InvitationAnswerView(PublicView):
    @extend_schema(
        summary="Accept or decline a request (one-time token from the e-mail)",
        request=AnswerInput,
        responses={200: AnswerOutput, **_token_errors()},
    )
    def post(self, request: Request) -> Response:
        data = _valid(AnswerInput, request.data)
        invitation = press.invitation_answer(
            token=data["token"],
            accept=data["answer"] == "accept",
            contacts=data.get("contacts"),
            base_url=_base_url(request),
        )
        return Response(AnswerOutput({"status": invitation.status}).data)


# --- coordinators ----------------------------------------------------------------------


def _summary(req: m.PressRequest) -> dict[str, Any]:
    return {
        "id": req.pk,
        "topic": req.topic,
        "outlet": req.outlet,
        "status": req.status,
        "deadline": req.deadline,
        "format": req.format,
        "language": req.language,
        "place": str(req.place) if req.place else None,
        "region": req.region,
        "network": req.network.slug if req.network else None,
    }


class CoordinatorView(APIView):
    permission_classes = [IsAuthenticated]


class CoordinationListView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    filter_backends = [DjangoFilterBackend]
    filterset_class = CoordinationPage
    # The model the FilterSet's parameters are documented from; the rows come from get_queryset.
    queryset = m.PressRequest.objects.none()
    pagination_class = None

    def get_queryset(self) -> QuerySet[m.PressRequest]:
        return urgent_first(press.press_requests_for(user=signed_in_user(self.request)))

    @extend_schema(
        summary="Requests for your coalitions (all, for moderators), a page at a time",
        description="Deadlines still ahead first (the soonest first), then past ones (the latest first).",
        responses={200: SummaryOutput(many=True), **write_errors(not_found=False)},
    )
    def get(self, request: Request) -> Response:
        requests = self.filter_queryset(self.get_queryset())
        return Response(SummaryOutput([_summary(r) for r in requests], many=True).data)


class CoordinationDetailView(CoordinatorView):
    @extend_schema(
        summary="A request with the ranked experts who may be asked",
        responses={200: DetailOutput, **write_errors(bad_request=False)},
    )
    def get(self, request: Request, pk: int) -> Response:
        req = press.press_request_for_coordinator(user=signed_in_user(request), pk=pk)
        ranking = press.experts_ranked(press_request=req)
        invitations = req.invitations.select_related("expert__organisation").order_by("created_at")
        detail = {
            **_summary(req),
            "questions": req.questions,
            "categories": list(req.categories.values_list("slug", flat=True)),
            "target_groups": list(req.target_groups.values_list("slug", flat=True)),
            "ranking": ranking,
            "invitations": invitations,
        }
        return Response(DetailOutput(detail).data)


class CoordinationSendView(CoordinatorView):
    @extend_schema(
        summary="Send the request to chosen experts", request=SendInput, responses={201: SentOutput, **write_errors()}
    )
    def post(self, request: Request, pk: int) -> Response:
        req = get_object_or_404(m.PressRequest, pk=pk)
        data = _valid(SendInput, request.data)
        invitations = press.press_request_send(
            user=signed_in_user(request), press_request=req, expert_ids=data["experts"], base_url=_base_url(request)
        )
        sent = {"sent": [i.expert_id for i in invitations], "status": m.PressRequestStatus.SEARCHING}
        return Response(SentOutput(sent).data, status=status.HTTP_201_CREATED)


class CoordinationNoExpertView(CoordinatorView):
    @extend_schema(
        summary="Tell the journalist no expert is available",
        request=None,
        responses={200: NoExpertOutput, **write_errors()},
    )
    def post(self, request: Request, pk: int) -> Response:
        req = get_object_or_404(m.PressRequest, pk=pk)
        press.press_request_mark_no_expert(user=signed_in_user(request), press_request=req)
        return Response(NoExpertOutput({"status": m.PressRequestStatus.NO_EXPERT}).data)

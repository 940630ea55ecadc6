"""``GET /api/v1/interpret?q=…``: what the one search box's text asks for.

The locator sends the typed text here, then runs the nearest search with the
town and filters that came back. Like every public read, nothing records the
text."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.errors import public_errors
from orgs.search import hotlines, query

REGION_NOTE = _("Searching from {town}, the main town of {region}.")
LANGUAGES = ("ru", "en", "uk")


class InterpretQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        min_length=1, max_length=query.MAX_QUERY_LENGTH, help_text="What was typed: a need, a town, or both."
    )
    lang = serializers.ChoiceField(
        choices=LANGUAGES, required=False, help_text="Interface language (its country's towns are suggested first)."
    )


class HotlineSerializer(serializers.Serializer):
    key = serializers.CharField()
    number = serializers.CharField()
    name = serializers.CharField()
    last_checked = serializers.DateField()


class InterpretationSerializer(serializers.Serializer):
    q = serializers.CharField()
    place = s.PlaceSerializer(allow_null=True, help_text="The town to search from; null when not sure.")
    place_words = serializers.ListField(child=serializers.CharField())
    alternatives = s.PlaceSerializer(many=True, help_text="Other towns of exactly the same name.")
    did_you_mean = s.PlaceSerializer(
        many=True, help_text="Towns the text may mean (a typo, a fragment): asked about, never searched silently."
    )
    region_note = serializers.CharField(allow_null=True)
    categories = serializers.ListField(child=serializers.CharField(), help_text="Category slugs understood.")
    target_groups = serializers.ListField(child=serializers.CharField(), help_text="Target-group slugs understood.")
    free = serializers.BooleanField()
    need_words = serializers.ListField(child=serializers.CharField())
    needs_place = serializers.BooleanField(help_text="A need was understood but no town: ask for one.")
    unknown_words = serializers.ListField(child=serializers.CharField())
    hotlines = HotlineSerializer(many=True, help_text="Free national lines for the country and the need.")


def interpretation_data(*, q: str, lang: str) -> dict[str, Any]:
    found = query.interpret(q=q, lang=lang)
    country = found.place.country_code if found.place else hotlines.default_country()
    lines = hotlines.hotlines_for(country=country, categories=found.categories, target_groups=found.target_groups)
    region_note = None
    if found.region_name and found.place is not None:
        town = found.place.name if lang == "en" else (found.place.name_ru or found.place.name)
        region_note = str(REGION_NOTE).format(town=town, region=found.region_name)
    return {
        "q": q,
        "place": found.place,
        "place_words": found.place_words,
        "alternatives": found.alternatives,
        "did_you_mean": found.did_you_mean,
        "region_note": region_note,
        "categories": found.categories,
        "target_groups": found.target_groups,
        "free": found.free,
        "need_words": found.need_words,
        "needs_place": found.has_need and found.place is None and not found.did_you_mean,
        "unknown_words": found.unknown_words,
        "hotlines": [line.as_dict(lang) for line in lines],
    }


class InterpretView(APIView):
    @extend_schema(
        summary="What a search text asks for: a town, categories, target groups, free",
        parameters=[InterpretQuerySerializer],
        responses={200: InterpretationSerializer, **public_errors()},
    )
    def get(self, request: Request) -> Response:
        query_data = InterpretQuerySerializer(data=request.query_params)
        query_data.is_valid(raise_exception=True)
        q = query_data.validated_data["q"].strip()
        if not q:
            raise serializers.ValidationError({"q": [str(s.EMPTY_VALUE)]})
        lang = query_data.validated_data.get("lang") or (translation.get_language() or "ru")[:2]
        with translation.override(lang if lang in LANGUAGES else "ru"):
            return Response(InterpretationSerializer(interpretation_data(q=q, lang=lang)).data)

"""A listing's services (what help it gives, to whom, where): add and edit."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import write_errors
from api.partner.common import PartnerView, valid
from api.serializers import JSONInput
from orgs import lookups, services
from orgs import models as m
from orgs.permissions import signed_in_user


class ServiceInput(JSONInput):
    name = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    categories = serializers.ListField(child=serializers.SlugField(), min_length=1, max_length=20)
    target_groups = serializers.ListField(child=serializers.SlugField(), required=False, max_length=20)
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=m.ServiceFormat.choices), min_length=1, max_length=3
    )
    is_free = serializers.BooleanField(required=False, default=True)
    min_age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=120)
    max_age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=120)
    eligibility = serializers.CharField(required=False, allow_blank=True)
    languages = serializers.ListField(child=serializers.RegexField(r"^[a-z]{2,3}$"), required=False, max_length=10)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    email = serializers.EmailField(required=False, allow_blank=True)
    url = serializers.URLField(required=False, allow_blank=True)
    area_kind = serializers.ChoiceField(choices=m.AreaKind.choices, required=False)
    area_country = serializers.RegexField(r"^[A-Z]{2}$", required=False, allow_blank=True)
    area_region = serializers.CharField(required=False, allow_blank=True, max_length=20)
    area_place = serializers.IntegerField(required=False)
    area_radius_km = serializers.IntegerField(required=False, min_value=1, max_value=5000)
    locations = serializers.ListField(
        child=serializers.IntegerField(min_value=0), required=False, help_text="Indexes into the locations list."
    )


class IdOutput(serializers.Serializer):
    id = serializers.IntegerField()


class ServiceCreateView(PartnerView):
    @extend_schema(summary="Add a service", request=ServiceInput, responses={201: IdOutput, **write_errors()})
    def post(self, request: Request, slug: str) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        data = valid(ServiceInput, request)
        service = services.service_save(user=signed_in_user(request), organisation=org, data=data)
        return Response(IdOutput(service).data, status=status.HTTP_201_CREATED)


class ServiceEditView(PartnerView):
    @extend_schema(summary="Edit a service", request=ServiceInput, responses={200: IdOutput, **write_errors()})
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        org = lookups.visible_organisation(request.user, slug)
        service = get_object_or_404(m.Service, pk=pk, organisation=org)
        data = valid(ServiceInput, request, partial=True)
        service = services.service_save(user=signed_in_user(request), organisation=org, data=data, service=service)
        return Response(IdOutput(service).data)

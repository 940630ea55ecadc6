"""Pages for press requests, under /press/ (namespace ``frontend:press``)."""

from __future__ import annotations

from django.urls import path

from frontend import press_topics_views
from frontend import press_views as views

app_name = "press"

urlpatterns = [
    path("", views.request_new, name="request"),
    path("sent/", views.request_sent, name="sent"),
    path("confirm/", views.request_confirm, name="confirm"),
    path("track/", views.request_track, name="track"),
    path("answer/", views.invitation_answer, name="answer"),
    path("coordinate/", views.coordinate_list, name="coordinate_list"),
    path("coordinate/<int:pk>/", views.coordinate_detail, name="coordinate"),
    path("coordinate/topics/", press_topics_views.press_topics, name="topics"),
    path("me/", views.expert_me, name="me"),
    path("join/", views.expert_join, name="join"),
    path("o/<slug:slug>/experts/", views.organisation_experts, name="organisation_experts"),
]

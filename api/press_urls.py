"""Press requests API, under /api/v1/press/."""

from __future__ import annotations

from django.urls import path

from api import press

app_name = "press"

urlpatterns = [
    path("requests", press.PressRequestCreateView.as_view(), name="requests"),
    path("requests/confirm", press.PressRequestConfirmView.as_view(), name="confirm"),
    path("requests/status", press.PressRequestStatusView.as_view(), name="status"),
    path("requests/withdraw", press.PressRequestWithdrawView.as_view(), name="withdraw"),
    path("invitations/answer", press.InvitationAnswerView.as_view(), name="answer"),
    path("coordination/requests", press.CoordinationListView.as_view(), name="coordination"),
    path("coordination/requests/<int:pk>", press.CoordinationDetailView.as_view(), name="coordination-detail"),
    path("coordination/requests/<int:pk>/send", press.CoordinationSendView.as_view(), name="coordination-send"),
    path(
        "coordination/requests/<int:pk>/no-expert",
        press.CoordinationNoExpertView.as_view(),
        name="coordination-no-expert",
    ),
]

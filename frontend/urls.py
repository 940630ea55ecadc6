from __future__ import annotations

from django.urls import include, path

from frontend import corrections, coverage, views

app_name = "frontend"

urlpatterns = [
    path("", views.home, name="home"),
    path("embed/", views.embed, name="embed"),
    path("privacy/", views.privacy, name="privacy"),
    path("language/<str:code>/", views.language, name="language"),
    path("o/<slug:slug>/", views.organisation, name="organisation"),
    path("o/<slug:slug>/correction/", corrections.correction, name="correction"),
    path("networks/", views.network_list, name="network_list"),
    path("networks/<slug:slug>/", views.network, name="network"),
    path("centres/", views.centre_list, name="centre_list"),
    path("coverage/", coverage.coverage, name="coverage"),
    path("centres/<slug:slug>/", views.centre, name="centre"),
    path("press/", include("frontend.press_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("frontend.accounts")),
    # partner/… (dashboard, registration, edits, moderation) and verify/<slug>/ (the reminder e-mail's link)
    path("", include("frontend.partner.urls")),
]

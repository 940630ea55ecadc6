"""Partner accounts: sign-up with e-mail verification, sign-in, sign-out and
password reset, all through Django's auth and its e-mail backend.

A new account is inactive until the link e-mailed to it is opened, so nobody
can register an organisation under an address they do not read. Sign-in goes
through ``authenticate(request=...)`` (Django's ``AuthenticationForm``), which
is what lets django-axes count failures and lock out password guessing.

The URL patterns at the bottom are included under ``accounts/`` by
``frontend.urls``. Templates have names of their own (not Django's
``registration/password_reset_form.html`` and friends): the admin app, listed
first, ships templates with those names and would win.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse, reverse_lazy
from django.utils.encoding import force_bytes, force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlencode, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

# A user name is at most 150 characters, and the e-mail address is the user name.
EMAIL_MAX_LENGTH = 150

PASSWORDS_DIFFER = gettext_lazy("The two passwords differ: type the same password twice.")
LINK_INVALID = gettext_lazy(
    "This confirmation link is invalid or has expired. Sign up again with the same address to get a new one."
)
INVALID_LOGIN = gettext_lazy(
    "Wrong e-mail or password. Both are case-sensitive. If you have just signed up, "
    "open the link in the e-mail we sent first."
)


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """A one-time link that activates an account. The hash covers ``is_active``,
    so the link stops working once used; it expires like a password-reset link
    (``PASSWORD_RESET_TIMEOUT``)."""

    key_salt = "frontend.accounts.ActivationTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{user.pk}{user.password}{user.is_active}{user.email}{timestamp}"


activation_tokens = ActivationTokenGenerator()


# --- forms ---------------------------------------------------------------------------


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        max_length=EMAIL_MAX_LENGTH,
        help_text=gettext_lazy("We send a link to confirm it. It is also what you sign in with."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("At least 8 characters; not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=gettext_lazy("The same password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", PASSWORDS_DIFFER)
        elif p1 and data.get("email"):
            try:
                validate_password(p1, User(username=data["email"], email=data["email"]))
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class LoginForm(AuthenticationForm):
    """Django's sign-in form (it calls ``authenticate(self.request, ...)``, which
    django-axes needs), with an e-mail label and a message that helps."""

    error_messages = {**AuthenticationForm.error_messages, "invalid_login": INVALID_LOGIN}

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("E-mail")

    def clean_username(self) -> str:
        # Sign-up stores addresses lower-cased; a user name without "@" (made
        # by an administrator) is left as typed.
        value = str(self.cleaned_data.get("username") or "").strip()
        return value.lower() if "@" in value else value


# --- the sign-up service -------------------------------------------------------------------


def _send(*, request: HttpRequest, to: str, subject: str, template: str, context: dict[str, Any]) -> None:
    body = render_to_string(template, {**context, "site": request.build_absolute_uri("/").rstrip("/")}, request)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


def activation_link(request: HttpRequest, user: User, next_url: str = "") -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path_ = reverse("frontend:activate", kwargs={"uidb64": uid, "token": activation_tokens.make_token(user)})
    # Where the person was going (a claim of a listing): back there after signing in.
    return request.build_absolute_uri(path_ + (f"?{urlencode({'next': next_url})}" if next_url else ""))


def _safe_next(request: HttpRequest, value: str) -> str:
    """A local address to return to, or nothing."""
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}) and value.startswith("/"):
        return value
    return ""


@transaction.atomic
def account_signup(*, request: HttpRequest, email: str, password: str, next_url: str = "") -> User | None:
    """Create an inactive account and e-mail its activation link.

    When the address already has an account, nothing is created and that
    address is told so (with a fresh link if it was never activated): the page
    says the same either way, so sign-up does not reveal who has an account.
    Returns the new user, or None.

    Both paths do the same work, so the time of the answer does not tell
    either: the password is hashed (PBKDF2, a few hundred milliseconds) and
    one mail is sent through ``_send`` whether or not the account exists. An
    existing address answered in 45 ms, a new one in 272 ms before."""
    existing = User.objects.filter(username__iexact=email).first() or User.objects.filter(email__iexact=email).first()
    if existing is not None:
        make_password(password)  # the hash a new account would cost, thrown away
        _send(
            request=request,
            to=existing.email or email,
            subject=_("Help Locator: you already have an account"),
            template="frontend/email/signup_existing.txt",
            context={
                "user": existing,
                "activation_link": None if existing.is_active else activation_link(request, existing, next_url),
                "reset_link": request.build_absolute_uri(reverse("frontend:password_reset")),
            },
        )
        return None
    user = User.objects.create_user(username=email, email=email, password=password, is_active=False)
    _send(
        request=request,
        to=email,
        subject=_("Help Locator: confirm your e-mail address"),
        template="frontend/email/activation.txt",
        context={"user": user, "activation_link": activation_link(request, user, next_url)},
    )
    return user


@transaction.atomic
def account_activate(*, uidb64: str, token: str) -> User | None:
    """Activate the account the link names; None when the link is bad, used or expired."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = User.objects.select_for_update().filter(pk=pk).first()
    if user is None or not activation_tokens.check_token(user, token):
        return None
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


# --- views ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("frontend:partner:dashboard")
    form = SignUpForm(request.POST or None)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
    if request.method == "POST" and form.is_valid():
        account_signup(
            request=request,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            next_url=next_url,
        )
        return render(request, "registration/signup_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = account_activate(uidb64=uidb64, token=token)
    if user is None:
        return render(request, "registration/activation_failed.html", {"message": LINK_INVALID}, status=400)
    next_url = _safe_next(request, request.GET.get("next", ""))
    if next_url:
        messages.success(request, _("Your e-mail address is confirmed. Sign in to continue."))
        return redirect(f"{reverse('frontend:login')}?{urlencode({'next': next_url})}")
    messages.success(request, _("Your e-mail address is confirmed. Sign in to register your organisation."))
    return redirect("frontend:login")


class LoginView(auth_views.LoginView):
    template_name = "registration/signin.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/reset_request.html"
    email_template_name = "frontend/email/password_reset.txt"
    subject_template_name = "frontend/email/password_reset_subject.txt"
    success_url = reverse_lazy("frontend:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/reset_confirm.html"
    success_url = reverse_lazy("frontend:password_reset_complete")


urlpatterns = [
    path("signup/", signup, name="signup"),
    path("activate/<uidb64>/<token>/", activate, name="activate"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/reset_sent.html"),
        name="password_reset_done",
    ),
    path("password-reset/<uidb64>/<token>/", PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/reset_done.html"),
        name="password_reset_complete",
    ),
]

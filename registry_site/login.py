"""The login form and the admin's, with failed sign-ins counted per address and username
(registry_site.throttling): past a limit the password is not checked, and the page is
answered 429 with Retry-After and the reason as the form's error."""

from __future__ import annotations

import functools

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from registry_site import throttling
from registry_site.errors import TooManyAttempts


class ThrottledLogin:
    retry_after: int | None = None  # set when refused, for `answers_429_when_refused`

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not (username and password):  # the form checks nothing without both
            return super().clean()
        try:
            with throttling.guarded(self.request, username):
                return super().clean()
        except TooManyAttempts as exc:
            self.retry_after = exc.retry_after
            raise ValidationError(exc.message, code="throttled") from None


class LoginForm(ThrottledLogin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    pass


def answers_429_when_refused(view):
    """A login view whose page says 429 when its form was refused by the limits."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        form = (getattr(response, "context_data", None) or {}).get("form")
        retry_after = getattr(form, "retry_after", None)
        if retry_after is not None:
            response.status_code = 429
            response["Retry-After"] = str(retry_after)
        return response

    return wrapped

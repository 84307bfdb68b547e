"""The account's own page: its API token."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from registry_site import tokens


@never_cache  # the page may carry a secret: no cache keeps it
@login_required
@require_http_methods(["GET", "POST"])
def api_token(request):
    """GET says whether a token exists; POST (CSRF-checked) makes a new one and shows its
    key in that response only: it is never shown again."""
    new_key = tokens.api_token_regenerate(user=request.user).key if request.method == "POST" else None
    context = {"token": tokens.api_token_get(request.user), "new_key": new_key}
    return render(request, "registration/api_token.html", context)

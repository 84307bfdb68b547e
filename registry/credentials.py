"""Who sent a request, from its Authorization header: an API token (`Token` or `Bearer`,
DRF's Token model) or HTTP Basic.

A successful check is remembered for CREDENTIALS_CACHE_SECONDS per process, keyed by a
keyed hash of the header (never the secret itself), together with the user's permissions,
so a busy client costs no database query (nor a password hash) per request. The price: a
revoked token, a removed role or a changed password is honoured by each worker within that
many seconds. Failed checks are not remembered; they are counted per client address and
username (registry_site.throttling), and past a limit a check is refused with 429 before
it runs.

Serving's invocations, the lineage API (whose producers post an event per task) and the
MLflow-compatible API (whose client sends its credentials on every call of a flow of
dozens) use it; the rest of the API authenticates through DRF's classes on every request.
"""

from __future__ import annotations

import base64
import hashlib
import os

from django.contrib.auth import authenticate
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from registry.caching import TTLCache
from registry_site import throttling
from registry_site.errors import Unauthenticated

CREDENTIALS_CACHE_SECONDS = 30.0
TOKEN_KEYWORDS = ("token", "bearer")
CHALLENGE = 'Token realm="api", Bearer realm="api", Basic realm="api"'

_HEADER_KEY = os.urandom(32)
_users: TTLCache = TTLCache(CREDENTIALS_CACHE_SECONDS)


def user_for_header(header: str, request):
    """The active user the header of `request` names, with its permissions loaded; raises
    Unauthenticated (401) naming what is wrong, or TooManyAttempts (429)."""
    key = hashlib.blake2b(header.encode("utf-8", "surrogateescape"), key=_HEADER_KEY, digest_size=16).digest()
    user = _users.get(key)
    if user is None:
        user = _authenticate(header, request)
        user.get_all_permissions()  # cached on the instance: has_perm() asks no query while remembered
        _users.put(key, user)
    return user


def forget() -> None:
    _users.clear()


class CachedCredentials(authentication.BaseAuthentication):
    """DRF's view of `user_for_header`: no header is anonymous, a bad one a 401."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        try:
            return user_for_header(header, request), None
        except Unauthenticated as exc:
            raise exceptions.AuthenticationFailed(exc.message) from None

    def authenticate_header(self, request) -> str:
        return CHALLENGE


def _authenticate(header: str, request):
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if not credentials or " " in credentials:
        raise Unauthenticated("malformed Authorization header: expected '<scheme> <credentials>'")
    if scheme.lower() in TOKEN_KEYWORDS:
        with throttling.guarded(request):
            return _active(_token_user(credentials))
    if scheme.lower() == "basic":
        username, password = _basic_parts(credentials)
        with throttling.guarded(request, username):
            return _active(_basic_user(username, password))
    raise Unauthenticated(f"unsupported Authorization scheme {scheme!r}: use Token, Bearer or Basic")


def _active(user):
    if not user.is_active:
        raise Unauthenticated("user inactive or deleted")
    return user


def _token_user(key: str):
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None:
        raise Unauthenticated("invalid token")
    return token.user


def _basic_parts(encoded: str) -> tuple[str, str]:
    try:
        username, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except ValueError:  # bad base64 (binascii.Error) or not UTF-8 (UnicodeDecodeError)
        raise Unauthenticated("invalid Basic credentials: not base64 of 'user:password'") from None
    return username, password


def _basic_user(username: str, password: str):
    user = authenticate(username=username, password=password)
    if user is None:
        raise Unauthenticated("invalid username/password")
    return user

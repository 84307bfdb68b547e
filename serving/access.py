"""Who may call an invocation: API tokens (`Token` or `Bearer`, DRF's Token model) and
HTTP Basic, checked here rather than through DRF so the request path stays a plain view.

A successful check is remembered for AUTH_CACHE_SECONDS per process, keyed by a keyed
hash of the Authorization header (never the secret itself), so a busy client does not
cost a database query (or a password hash) per request. The price: a revoked token or
a removed role is honoured by each worker within that many seconds. Failed checks are
not cached.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from rest_framework.authtoken.models import Token

from registry.auth import may_read
from registry_site.errors import Forbidden

from .cache import TTLCache
from .errors import Unauthenticated

AUTH_CACHE_SECONDS = 30.0
TOKEN_KEYWORDS = ("token", "bearer")
CHALLENGE = 'Token realm="api", Bearer realm="api", Basic realm="api"'

_HEADER_KEY = os.urandom(32)


@dataclass(frozen=True)
class Caller:
    username: str
    may_read: bool


_callers: TTLCache[Caller] = TTLCache(AUTH_CACHE_SECONDS)


def authorize_read(request) -> None:
    """Return if the request may call invocations; raise Unauthenticated (401) or
    Forbidden (403) otherwise."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        if settings.REGISTRY_PUBLIC_READ:
            return
        raise Unauthenticated("credentials are required: send 'Authorization: Token <key>', Bearer or Basic")
    caller = _caller(header)
    if not caller.may_read:
        raise Forbidden(f"user {caller.username} may not read models (needs the viewers role)")


def _caller(header: str) -> Caller:
    key = hashlib.blake2b(header.encode("utf-8", "surrogateescape"), key=_HEADER_KEY, digest_size=16).digest()
    caller = _callers.get(key)
    if caller is None:
        user = _authenticate(header)
        caller = Caller(user.get_username(), may_read(user))
        _callers.put(key, caller)
    return caller


def _authenticate(header: str):
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if not credentials or " " in credentials:
        raise Unauthenticated("malformed Authorization header: expected '<scheme> <credentials>'")
    if scheme.lower() in TOKEN_KEYWORDS:
        user = _token_user(credentials)
    elif scheme.lower() == "basic":
        user = _basic_user(credentials)
    else:
        raise Unauthenticated(f"unsupported Authorization scheme {scheme!r}: use Token, Bearer or Basic")
    if not user.is_active:
        raise Unauthenticated("user inactive or deleted")
    return user


def _token_user(key: str):
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None:
        raise Unauthenticated("invalid token")
    return token.user


def _basic_user(encoded: str):
    try:
        username, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except ValueError:  # bad base64 (binascii.Error) or not UTF-8 (UnicodeDecodeError)
        raise Unauthenticated("invalid Basic credentials: not base64 of 'user:password'") from None
    user = authenticate(username=username, password=password)
    if user is None:
        raise Unauthenticated("invalid username/password")
    return user


def forget_callers() -> None:
    _callers.clear()

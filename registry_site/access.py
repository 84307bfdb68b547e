"""Who may do what, for every app: credentials, the read policy and the role groups.
Each app names only its own permissions (registry.auth, lineage.auth) and role maps
(registry.roles, lineage.roles); the 401 challenge and the errors are registry_site.errors.

Credentials: an API token (`Token` or `Bearer`, DRF's Token model; the MLflow and
OpenLineage clients send Bearer), HTTP Basic, or a browser session (DRF's own class).
`user_for_header` remembers a successful check for CREDENTIALS_CACHE_SECONDS per process,
keyed by a keyed hash of the header (never the secret itself), together with the user's
permissions, so a busy client costs no database query (nor a password hash) per request.
The price: a revoked token, a removed role or a changed password is honoured by each worker
within that many seconds (at once in the process that made the change). Failed checks are
not remembered; they are counted per client address and username (registry_site.throttling),
and past a limit a check is refused with 429 before it runs. Serving's invocations, the
lineage API and the MLflow-compatible API use it (their clients send credentials on every
call); the rest of the native API authenticates through the DRF classes on every request.

Roles are Django groups holding model permissions, granted by each app's data migration
and again after every `migrate` (post_migrate), so a database whose groups were flushed or
edited by hand gets its roles back.
"""

from __future__ import annotations

import base64
import hashlib
import os

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import DEFAULT_DB_ALIAS
from rest_framework import authentication, exceptions, permissions

from registry_site import throttling
from registry_site.caching import TTLCache
from registry_site.errors import CHALLENGE, Unauthenticated

CREDENTIALS_CACHE_SECONDS = 30.0
TOKEN_KEYWORDS = ("token", "bearer")

_HEADER_KEY = os.urandom(32)
_users: TTLCache = TTLCache(CREDENTIALS_CACHE_SECONDS)


# --- the read policy -------------------------------------------------------------------


def may_read(user, permission: str) -> bool:
    """Reads need `permission` (an app's read codename), unless REGISTRY_PUBLIC_READ is on."""
    if settings.REGISTRY_PUBLIC_READ:
        return True
    return bool(user and user.is_authenticated and user.has_perm(permission))


class RoleAccess(permissions.BasePermission):
    """Reads need `read_permission` (or public read); writes need credentials plus the
    permission the view names for the method in `write_permissions`, else
    `write_permission` (services check it again; checking here too refuses before a large
    body is read). Each app subclasses it with its own permission names."""

    read_permission: str
    write_permission: str | None = None

    def has_permission(self, request, view) -> bool:
        user = request.user
        if request.method in permissions.SAFE_METHODS:
            return may_read(user, self.read_permission)
        if not (user and user.is_authenticated):
            return False
        needed = getattr(view, "write_permissions", {}).get(request.method, self.write_permission)
        return needed is None or user.has_perm(needed)


# --- credentials: remembered per process -----------------------------------------------


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


def forget_on_account_changes() -> None:
    """A user, token, group membership or permission changed here: this process forgets
    every remembered credential check at once (others within CREDENTIALS_CACHE_SECONDS)."""
    from django.contrib.auth.models import Group, User
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from rest_framework.authtoken.models import Token

    def forgotten(**_kwargs) -> None:
        forget()

    for model in (User, Token):
        post_save.connect(forgotten, sender=model, weak=False, dispatch_uid=f"credentials-{model.__name__}-save")
        post_delete.connect(forgotten, sender=model, weak=False, dispatch_uid=f"credentials-{model.__name__}-delete")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(forgotten, sender=through, weak=False, dispatch_uid=f"credentials-{through.__name__}")


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
    from rest_framework.authtoken.models import Token

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


# --- credentials: checked on every request (the native API's DRF classes) -------------


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's, with failures counted and the lookup refused (429) past the limits
    (registry_site.throttling)."""

    keyword = "Token"

    def authenticate(self, request):
        self.request = request  # DRF makes authenticators per request and does not pass it on
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        with throttling.guarded(self.request):
            return super().authenticate_credentials(key)


class BearerTokenAuthentication(TokenAuthentication):
    keyword = "Bearer"


class BasicAuthentication(authentication.BasicAuthentication):
    """DRF's, with failures counted and the password hash refused (429) past the limits."""

    def authenticate_credentials(self, userid, password, request=None):
        with throttling.guarded(request, userid):
            return super().authenticate_credentials(userid, password, request)


# --- roles -----------------------------------------------------------------------------


def grant(app_label: str, roles: dict[str, list[str]], apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the role groups if missing and give them `app_label`'s permissions."""
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config(app_label)
    if apps is not global_apps:
        # In a migration the permissions do not exist yet: Django makes them after all
        # migrations ran, and only for app configs that say they have models.
        config.models_module = True
    create_permissions(config, apps=apps, verbosity=0, using=using)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in roles.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        granted = Permission.objects.using(using).filter(content_type__app_label=app_label, codename__in=codenames)
        group.permissions.add(*granted)


def grant_after_migrate(roles: dict[str, list[str]]):
    """A post_migrate receiver granting `roles` for the app config that sent the signal."""

    def receiver(sender, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs):
        grant(sender.label, roles, apps=apps, using=using)

    return receiver

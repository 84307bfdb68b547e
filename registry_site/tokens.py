"""Each account's API token (DRF's Token): whether it has one, and a new key on request.

The site's, not the registry's: any app's API accepts the key, and this module imports
neither registry nor serving nor lineage."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.authtoken.models import Token


def api_token_get(user) -> Token | None:
    return Token.objects.filter(user=user).first()


@transaction.atomic
def api_token_regenerate(*, user) -> Token:
    """A new key for `user`, replacing the old one if any. DRF keys are the token's primary
    key, so the old row goes and a new one comes: the old key stops working at once here
    (the credential cache forgets on every Token change) and in other workers within
    CREDENTIALS_CACHE_SECONDS."""
    # The user's row lock: two clicks at once make one token, not a unique-key error.
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)

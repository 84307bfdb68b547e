"""Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 with the
webhook's key over "{msg_id}.{timestamp}.{body}", sent as "v1,<base64>"."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from webhooks.models import SECRET_PREFIX

SECRET_BYTES = 24
MIN_KEY_BYTES, MAX_KEY_BYTES = 24, 64


def new_secret() -> str:
    """A fresh key, base64 (as stored)."""
    return base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def key_of(secret: str) -> bytes | None:
    """The key bytes of a secret given as base64 (with or without "whsec_"); None if it is
    not base64 of 24 to 64 bytes, the sizes the spec allows."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES else None


def signed_headers(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers a receiver verifies the body with."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_of(secret) or b"", signed, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode("ascii"),
    }

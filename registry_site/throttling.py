"""Limits on failed credential checks, per client address and per username.

Past AUTH_FAILURES_PER_ADDRESS failures from one address, or AUTH_FAILURES_PER_USERNAME
for one username, within a window of AUTH_FAILURE_WINDOW_SECONDS, a credential check is
refused with TooManyAttempts (429, Retry-After) before it runs: a locked-out guesser costs
one cache read, never a password hash or a token lookup. Counted: wrong passwords (HTTP
Basic, the login form, the admin's) and wrong or inactive tokens. Not counted: malformed
headers (they cost nothing), and successes that registry_site.access answers from memory.

Windows are fixed and aligned on the clock ([k*W, (k+1)*W)), so Retry-After is exact and a
limit of N allows at most N checks per window, plus those already past the check when the
Nth failure lands (at most the server's threads). Counters live in the "throttle" cache,
the database by default, so every worker and replica shares them. Each failure takes the
first free numbered slot with `add`, which is atomic on every cache backend (the database
backend's `incr` reads then writes, so concurrent failures would be undercounted); the
last slot taken means locked.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from rest_framework.exceptions import AuthenticationFailed

from registry_site.errors import TooManyAttempts, Unauthenticated

# What a failed check raises: ours, DRF's (native API), a login form's.
FAILURES = (Unauthenticated, AuthenticationFailed, ValidationError)

# A username that succeeded from an address is exempt there from the per-username limit
# for this long. The trade-off: a per-username limit stops guessing one account from many
# addresses, but lets anyone lock that account out; with this exemption they lock it out
# only of addresses it has not used lately (for one window at a time, while they keep
# failing), and never out of its usual ones. The per-address limit has no exemption, or a
# guesser sharing an address with a user could try that user's password without end.
KNOWN_ADDRESS_SECONDS = 30 * 24 * 3600

clock = time.time  # tests move it


@contextmanager
def guarded(request, username: str | None = None) -> Iterator[None]:
    """Run one credential check: refused with TooManyAttempts before it starts when the
    client's address (or `username`) is locked; a failure leaving the block is counted."""
    address = client_address(request)
    now, window = clock(), settings.AUTH_FAILURE_WINDOW_SECONDS
    known = _refuse_if_locked(address, username, now, window)
    try:
        yield
    except FAILURES:
        _count_failure(address, username, int(now // window), window)
        raise
    if username is not None and not known:
        _cache().add(_known_key(address, username), True, timeout=KNOWN_ADDRESS_SECONDS)


def client_address(request) -> str:
    """REMOTE_ADDR, or with WEB_TRUSTED_PROXIES = n the X-Forwarded-For entry n from the
    right (each trusted proxy appends the address it was reached from; entries further left
    are the client's to invent). IPv6 counts per /64: one host holds a whole /64."""
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.WEB_TRUSTED_PROXIES
    if hops:
        forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= hops:
            return _network(forwarded[-hops]) or _network(remote) or "unknown"
    return _network(remote) or "unknown"


def _network(address: str) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


_WHOSE = {"address": "from this address", "username": "for this username"}


def _subjects(address: str, username: str | None) -> dict[str, tuple[str, int]]:
    """Each counted subject by kind: (key prefix, limit); a limit of 0 is off."""
    subjects = {"address": (f"address:{address}", settings.AUTH_FAILURES_PER_ADDRESS)}
    if username is not None:  # a digest: any length, no character a cache key refuses
        subjects["username"] = (f"username:{_digest(username)}", settings.AUTH_FAILURES_PER_USERNAME)
    return {kind: subject for kind, subject in subjects.items() if subject[1] > 0}


def _refuse_if_locked(address: str, username: str | None, now: float, window: int) -> bool:
    """Raise TooManyAttempts if a subject has used its last slot in this window; else
    return whether `username` succeeded from `address` lately. One cache read."""
    bucket = int(now // window)
    last = {kind: _slot(prefix, bucket, limit - 1) for kind, (prefix, limit) in _subjects(address, username).items()}
    known = _known_key(address, username)
    found = _cache().get_many([*last.values(), known] if known else [*last.values()])
    for kind, key in last.items():
        if key in found and not (kind == "username" and known in found):
            wait = max(1, math.ceil((bucket + 1) * window - now))
            message = f"too many failed credential checks {_WHOSE[kind]}: try again in {wait} s"
            raise TooManyAttempts(message, retry_after=wait)
    return known in found


def _count_failure(address: str, username: str | None, bucket: int, window: int) -> None:
    cache = _cache()
    for prefix, limit in _subjects(address, username).values():
        keys = [_slot(prefix, bucket, slot) for slot in range(limit)]
        taken = cache.get_many(keys)
        # Workers failing at once race for the same free slot: `add` gives it to one, the
        # others take the next.
        for key in keys:
            if key not in taken and cache.add(key, True, timeout=window):
                break


def _known_key(address: str, username: str | None) -> str | None:
    return f"auth-known:{_digest(username)}:{address}" if username is not None else None


def _slot(prefix: str, bucket: int, slot: int) -> str:
    return f"auth-failures:{prefix}:{bucket}:{slot}"


def _digest(username: str) -> str:
    return hashlib.blake2b(username.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def _cache():
    return caches["throttle"]

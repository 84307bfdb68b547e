"""Which version answers `/model/<name>/<ref>/invocations`.

Resolutions are cached for about a second per process, so a promotion or an alias
change made through another worker (or another replica) is seen within that second,
with no restart; changes saved in this process clear the cache at once (see apps.py).
"""

from __future__ import annotations

from django.db import transaction

from registry.models import ModelVersion
from registry.selectors import version_for_ref
from registry_site.caching import TTLCache

RESOLUTION_TTL_SECONDS = 1.0
LATEST = "latest"

_resolved: TTLCache[ModelVersion] = TTLCache(RESOLUTION_TTL_SECONDS)


def resolve(name: str, ref: str = LATEST) -> ModelVersion:
    """The version `ref` names now (at most RESOLUTION_TTL_SECONDS stale). Raises NotFound."""
    key = (name, ref)  # not case-folded: aliases are case-sensitive
    found = _resolved.get(key)
    if found is None:
        found = version_for_ref(name, ref)
        _resolved.put(key, found)
    return found


def registry_changed(**_signal) -> None:
    """A version, alias or model was saved or deleted here: drop every cached resolution,
    now and again once the change is committed (a request resolving in between could
    otherwise cache the state before the commit)."""
    _resolved.clear()
    transaction.on_commit(_resolved.clear)


def forget_resolutions() -> None:
    _resolved.clear()

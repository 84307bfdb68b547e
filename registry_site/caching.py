"""Short-lived in-process lookups (TTL). Each worker process has its own; nothing here is
shared between them."""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


def now() -> float:
    """The clock TTLs are measured on (a function, so tests can move time on)."""
    return time.monotonic()


class TTLCache(Generic[V]):
    """Values that expire `ttl` seconds after they were stored; at most `max_entries`
    (when full, everything is dropped: simpler than LRU, and refilling is cheap)."""

    def __init__(self, ttl: float, max_entries: int = 10_000):
        self.ttl = ttl
        self.max_entries = max_entries
        self._values: dict[Hashable, tuple[float, V]] = {}

    def get(self, key: Hashable) -> V | None:
        found = self._values.get(key)
        if found is None or found[0] <= now():
            return None
        return found[1]

    def put(self, key: Hashable, value: V) -> None:
        if len(self._values) >= self.max_entries:
            self._values.clear()
        self._values[key] = (now() + self.ttl, value)

    def clear(self) -> None:
        self._values.clear()

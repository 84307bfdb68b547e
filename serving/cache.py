"""Small in-process caches: loaded models (LRU, loaded once per key) and short-lived
lookups (TTL). Each worker process has its own; nothing here is shared between them."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


def now() -> float:
    """The clock TTLs are measured on (a function, so tests can move time on)."""
    return time.monotonic()


class LoadOnceLRU(Generic[V]):
    """At most `capacity()` values, least recently used evicted first.

    A value missing from the cache is built by the caller's loader under a lock of its
    own key: concurrent first requests for one key wait for a single load, while loads
    of other keys go ahead in parallel. A loader's exception is raised to every waiter
    and nothing is cached, so the next request tries again.
    """

    def __init__(self, capacity: Callable[[], int]):
        self._capacity = capacity
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        found = self._lookup(key)
        if found is not None:
            return found
        with self._key_lock(key):
            found = self._lookup(key)  # another thread may have loaded it meanwhile
            if found is None:
                found = load()
                self._insert(key, found)
        return found

    def _lookup(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
            return found

    def _key_lock(self, key: Hashable) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def _insert(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > max(1, self._capacity()):
                evicted, _ = self._values.popitem(last=False)
                self._key_locks.pop(evicted, None)

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._key_locks.clear()


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

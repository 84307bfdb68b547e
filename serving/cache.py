"""Loaded models: an in-process LRU, each value loaded once per key. Each worker process
has its own; nothing here is shared between them. (Short-lived lookups: registry_site.caching.)"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


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

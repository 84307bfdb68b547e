"""Loaded models are kept per process, least recently used evicted past
SERVING_CACHE_MAX_MODELS, and concurrent first requests for a version load it once."""

import threading
import time

import pytest
from servingkit import invoke, predictions

from registry import loading
from serving import predict
from serving.cache import LoadOnceLRU

from kit import upload

BODY = {"instances": [[5.1, 3.5, 1.4, 0.2]]}


@pytest.fixture
def loads(monkeypatch) -> list[int]:
    """The versions loaded from the artifact store, in order."""
    seen = []

    def counting(version):
        seen.append(version.version)
        return loading.load_version_model(version)

    monkeypatch.setattr(predict, "load_version_model", counting)
    return seen


def test_a_version_is_loaded_once_and_then_served_from_memory(as_alice, as_bob, iris_joblib, loads):
    upload(as_alice, "m", iris_joblib)

    for _ in range(3):
        predictions(invoke(as_bob, "/model/m/invocations", BODY))

    assert loads == [1]


def test_the_least_recently_used_model_is_evicted_past_the_limit(as_alice, as_bob, iris_joblib, loads, settings):
    settings.SERVING_CACHE_MAX_MODELS = 2
    for _ in range(3):
        upload(as_alice, "m", iris_joblib)

    for version in (1, 2, 1, 3, 1, 2):  # 3 evicts 2 (1 was used more recently); 2 comes back
        predictions(invoke(as_bob, f"/model/m/{version}/invocations", BODY))

    assert loads == [1, 2, 3, 2]


def test_concurrent_first_requests_for_one_key_load_it_once():
    cache = LoadOnceLRU(lambda: 4)
    calls = []
    start = threading.Barrier(8)

    def slow_load():
        calls.append(1)
        time.sleep(0.05)
        return object()

    results = []

    def request():
        start.wait()
        results.append(cache.get(("version", "sha"), slow_load))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(calls) == 1
    assert len(results) == 8 and all(result is results[0] for result in results)


def test_different_keys_load_in_parallel():
    cache = LoadOnceLRU(lambda: 4)
    inside = threading.Barrier(2, timeout=2)  # both loads must be running at the same time

    def load():
        inside.wait()
        return object()

    threads = [threading.Thread(target=cache.get, args=(key, load)) for key in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(cache.keys()) == ["a", "b"]


def test_a_failed_load_is_not_cached():
    cache = LoadOnceLRU(lambda: 4)

    def failing():
        raise RuntimeError("store down")

    with pytest.raises(RuntimeError):
        cache.get("a", failing)

    assert cache.get("a", lambda: "loaded") == "loaded"

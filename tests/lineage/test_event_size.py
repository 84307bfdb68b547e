"""Events are capped by LINEAGE_MAX_EVENT_BYTES (default 8 MiB, after decompression):
a 5 MB event is accepted, a larger one than the limit refused with 413, never a crash."""

import gzip
import json

from lineagekit import dataset, folded, post, post_gzip, run_event, schema

from lineage.models import Dataset, LineageEvent


def five_megabyte_event() -> dict:
    columns = [f"column_{i:06d}_{'x' * 40}" for i in range(80_000)]
    event = run_event(outputs=[dataset("s3://lake", "wide", **schema(*columns))])
    assert len(json.dumps(event)) > 5_000_000
    return event


def test_a_five_megabyte_event_is_accepted_under_the_default_limit(as_alice):
    response = post(as_alice, five_megabyte_event())

    assert response.status_code == 201
    folded()
    assert len(Dataset.objects.get().fields) == 80_000


def test_an_event_over_the_limit_is_413_naming_the_limit(as_alice, settings):
    settings.LINEAGE_MAX_EVENT_BYTES = 1_000_000

    response = post(as_alice, five_megabyte_event())

    assert response.status_code == 413
    assert "LINEAGE_MAX_EVENT_BYTES" in response.json()["message"]
    assert not LineageEvent.objects.exists()


def test_a_small_gzip_body_inflating_past_the_limit_is_413(as_alice, settings):
    settings.LINEAGE_MAX_EVENT_BYTES = 1_000_000
    bomb = gzip.compress(b'{"padding": "' + b"0" * 50_000_000 + b'"}')
    assert len(bomb) < 100_000

    response = post(as_alice, bomb, HTTP_CONTENT_ENCODING="gzip")

    assert response.status_code == 413
    assert "decompressed" in response.json()["message"]


def test_a_gzip_event_within_the_limit_is_accepted(as_alice, settings):
    settings.LINEAGE_MAX_EVENT_BYTES = 100_000

    assert post_gzip(as_alice, run_event()).status_code == 201

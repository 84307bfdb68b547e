"""Versions are listed newest first everywhere: model page, API, compare and admin."""

import re

import pytest
from django.contrib.auth.models import User

from kit import upload


@pytest.fixture
def three_versions(as_alice, iris_joblib):
    for accuracy in (0.91, 0.95, 0.97):
        upload(as_alice, "iris", iris_joblib, metrics=f'{{"accuracy": {accuracy}}}')


def numbers(pattern: str, content: str) -> list[int]:
    return [int(n) for n in re.findall(pattern, content)]


def test_the_model_page_lists_versions_newest_first(client, bob, three_versions):
    client.force_login(bob)

    content = client.get("/models/iris/").content.decode()

    assert numbers(r'<a href="/models/iris/versions/(\d+)/">', content) == [3, 2, 1]


def test_the_api_lists_versions_newest_first(as_bob, three_versions):
    results = as_bob.get("/api/v1/models/iris/versions").json()["results"]

    assert [v["version"] for v in results] == [3, 2, 1]


def test_compare_shows_the_chosen_versions_newest_first(client, bob, three_versions):
    client.force_login(bob)

    content = client.get("/models/iris/compare/?v=1&v=3&v=2").content.decode()

    header = re.search(r'<table class="compare"><thead>(.*?)</thead>', content, re.S).group(1)
    assert numbers(r">v(\d+)</a>", header) == [3, 2, 1]
    assert numbers(r'name="v" value="(\d+)"', content) == [3, 2, 1]


def test_the_admin_lists_versions_newest_first(client, three_versions):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "root-password-1"))

    content = client.get("/admin/registry/modelversion/").content.decode()

    assert numbers(r'<td class="field-version">(\d+)</td>', content) == [3, 2, 1]

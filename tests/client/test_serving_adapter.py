"""HttpModelServer predicts through the server's invocations, for the latest version or
one a reference pins."""

import pytest
from clientkit import IRIS_ROW, LIVE

from registry_client.http import HttpModelServer, RegistryClientError

pytestmark = pytest.mark.django_db(**LIVE)


def test_it_predicts_a_frame_with_the_latest_version(registry, url, bob_token, iris, iris_model):
    registry.register(iris_model, "iris")
    server = HttpModelServer(url, bob_token)

    server.load("iris")

    X = iris[0].iloc[[0, 50, 100]]
    assert (server.name, server.version) == ("iris", 1)
    assert list(server.predict(X)) == list(iris_model.predict(X))


def test_it_predicts_with_the_version_an_alias_names(registry, url, bob_token, iris_model):
    registry.register(iris_model, "iris")
    registry.register(iris_model, "iris")
    registry.promote("iris", 1, alias="champion")
    server = HttpModelServer(url, bob_token)

    server.load("iris/champion")

    assert server.version == 1
    assert list(server.predict([IRIS_ROW])) == [0]


def test_loading_an_unknown_model_fails_at_load_with_a_404(url, bob_token, db):
    server = HttpModelServer(url, bob_token)

    with pytest.raises(RegistryClientError) as raised:
        server.load("nosuch/3")

    assert raised.value.status == 404
    assert "nosuch" in raised.value.message

"""The client against a live server: Trina trains and ships (uploads and promotes),
Bob only reads. Each gets an API token, as a user of the client would."""

import gc

import pytest
from rest_framework.authtoken.models import Token

from registry_client.http import HttpRegistry
from registry_client.http.connection import Connection

from kit import user_with_roles


@pytest.fixture
def trina_token(db) -> str:
    return Token.objects.create(user=user_with_roles("trina", "uploaders", "promoters")).key


@pytest.fixture
def bob_token(bob) -> str:
    return Token.objects.create(user=bob).key


@pytest.fixture
def url(live_server) -> str:
    return live_server.url


@pytest.fixture
def registry(url, trina_token) -> HttpRegistry:
    return HttpRegistry(url, trina_token)


@pytest.fixture(autouse=True)
def closed_connections():
    """Adapters keep their HTTP connections alive, and with them a live-server thread and
    its database session: close every adapter's connections after the test, so those
    threads end before the test database is dropped."""
    yield
    for found in gc.get_objects():
        if type(found) is Connection:  # not isinstance: it dereferences dead weak proxies
            found.session.close()

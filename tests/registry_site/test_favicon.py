"""The site's icon: linked from every page and answered at /favicon.ico."""

import pytest
from django.test import Client


@pytest.fixture
def static_from_source(settings):
    """Static files straight from the source folders, as in development (no collectstatic)."""
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    return Client()


def test_favicon_ico_leads_to_the_sites_svg_icon(static_from_source, db):
    redirect = static_from_source.get("/favicon.ico")
    icon = static_from_source.get(redirect["Location"])

    assert redirect.status_code == 301
    assert redirect["Location"] == "/static/favicon.svg"
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content)


def test_pages_link_the_icon(client, db):
    page = client.get("/accounts/login/").content.decode()

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page

"""Pages link across apps by URL name: mount the site elsewhere and every link follows."""

import re

import pytest

from registry.models import Alias, RegisteredModel

from kit import upload

PAGES = [
    "/elsewhere/",
    "/elsewhere/models/",
    "/elsewhere/models/iris/",
    "/elsewhere/models/iris/versions/1/",
    "/elsewhere/models/iris/compare/?v=1&v=2",
    "/elsewhere/audit/",
    "/elsewhere/lineage/?node=model:iris:1",
    "/elsewhere/accounts/token/",
]


@pytest.fixture
def remounted(settings, as_alice, iris_joblib):
    """iris v1 (trained on s3://lake/iris.csv, under @champion) and v2, the site under /elsewhere/."""
    upload(as_alice, "iris", iris_joblib, inputs='["s3://lake/iris.csv"]')
    upload(as_alice, "iris", iris_joblib)
    model = RegisteredModel.objects.get(name="iris")
    Alias.objects.create(model=model, name="champion", version=model.versions.get(version=1))
    settings.ROOT_URLCONF = "remounted_urls"


def site_links(content: str) -> list[str]:
    """Every link and form target that is a path on this site (static files aside)."""
    found = re.findall(r'(?:href|action)="(/[^"]*)"', content)
    return [link for link in found if not link.startswith("/static/")]


@pytest.mark.parametrize("path", PAGES)
def test_every_link_on_a_page_follows_where_the_site_is_mounted(client, carol, remounted, path):
    carol.is_staff = True
    carol.save()
    client.force_login(carol)

    response = client.get(path)

    assert response.status_code == 200
    links = site_links(response.content.decode())
    assert links
    assert [link for link in links if not link.startswith("/elsewhere/")] == []


def test_the_version_page_links_to_serving_lineage_and_the_api_where_they_are_mounted(client, carol, remounted):
    client.force_login(carol)

    content = client.get("/elsewhere/models/iris/versions/1/").content.decode()

    assert "http://testserver/elsewhere/model/iris/1/invocations" in content
    assert "http://testserver/elsewhere/model/iris/invocations" in content
    assert 'href="/elsewhere/api/v1/models/iris/versions/1/artifact"' in content
    assert 'href="/elsewhere/lineage/?node=dataset%3As3%3A//lake%3Airis.csv"' in content


def test_the_api_names_the_download_url_where_the_api_is_mounted(as_bob, remounted):
    version = as_bob.get("/elsewhere/api/v1/models/iris/versions/1").json()

    assert version["artifact"]["download_url"] == "/elsewhere/api/v1/models/iris/versions/1/artifact"


def test_anonymous_visitors_go_to_the_login_page_where_it_is_mounted(client, remounted):
    response = client.get("/elsewhere/models/")

    assert response.status_code == 302
    assert response["Location"] == "/elsewhere/accounts/login/?next=/elsewhere/models/"

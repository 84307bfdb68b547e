"""Unknown addresses: a friendly page for people, the API's JSON error for programs."""

import re


def test_an_unknown_page_is_a_friendly_404_that_names_no_python_class(client, db):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    body = response.content.decode()
    assert "Nothing here" in body
    assert "The page or model you asked for does not exist." in body
    assert "Resolver404" not in body and "tried" not in body
    assert not re.search(r"\b[A-Z][a-z]+[A-Z][A-Za-z]*(Error|404|Exception)\b", body)


def test_an_unknown_api_path_is_a_json_404(client, db):
    response = client.get("/api/v1/no/such/thing")

    assert response.status_code == 404
    assert response.json() == {"error_code": "ENDPOINT_NOT_FOUND", "message": "No endpoint at /api/v1/no/such/thing"}


def test_a_views_own_404_still_says_what_was_not_found(client, bob):
    client.force_login(bob)

    response = client.get("/models/nope/")

    assert response.status_code == 404
    assert "Registered Model with name=nope not found" in response.content.decode()

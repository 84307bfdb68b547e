"""GET /api/v1/models/<name>/refs/<ref>: the version a reference names now, resolved as
serving resolves it (the client's load and pull use it)."""

from kit import client_for, upload


def test_an_alias_names_the_version_it_points_at(iris_with_alias, as_bob):
    response = as_bob.get("/api/v1/models/iris/refs/champion")

    assert response.status_code == 200
    assert (response.json()["version"], response.json()["aliases"]) == (1, ["champion"])


def test_a_stage_names_its_newest_version_and_latest_the_highest(iris_in_production, as_alice, as_bob, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    assert as_bob.get("/api/v1/models/iris/refs/production").json()["version"] == 1
    assert as_bob.get("/api/v1/models/iris/refs/latest").json()["version"] == 2
    assert as_bob.get("/api/v1/models/iris/refs/2").json()["artifact"]["format"] == "joblib"


def test_an_unknown_reference_is_a_404_naming_it(iris_with_alias, as_bob):
    response = as_bob.get("/api/v1/models/iris/refs/challenger")

    assert response.status_code == 404
    assert "challenger" in response.json()["message"]


def test_a_reference_needs_credentials_and_the_read_role(iris_with_alias, anonymous, charlie):
    assert anonymous.get("/api/v1/models/iris/refs/champion").status_code == 401
    assert client_for(charlie).get("/api/v1/models/iris/refs/champion").status_code == 403

"""The web UI's registry pages, as reviewers and uploaders see them."""

import io
import os
import pickle

import pytest
from django.contrib.auth.models import User

from registry.models import Alias, ModelVersion, RegisteredModel

from kit import changes, nodes_and_edges, svg_of, upload


@pytest.fixture
def registry(as_alice, iris_joblib):
    """iris with three versions: v1 Production (alias champion), v2 Staging, v3 new."""
    for accuracy in (0.91, 0.95, 0.97):
        upload(
            as_alice,
            "iris",
            iris_joblib,
            params='{"C": 1.0, "solver": "lbfgs"}',
            metrics=f'{{"accuracy": {accuracy}, "f1": 0.9}}',
            inputs='["s3://data/iris.csv"]',
        )
    ModelVersion.objects.filter(version=1).update(stage="Production")
    ModelVersion.objects.filter(version=2).update(stage="Staging")
    model = RegisteredModel.objects.get(name="iris")
    Alias.objects.create(model=model, name="champion", version=model.versions.get(version=1))
    return model


def logged_in(client, user):
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_login(client, registry):
    for path in ("/", "/models/", "/models/iris/", "/models/iris/versions/1/", "/audit/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next=")


def test_with_public_read_anonymous_visitors_see_the_pages(client, registry, settings):
    settings.REGISTRY_PUBLIC_READ = True

    response = client.get("/models/iris/")

    assert response.status_code == 200
    assert b"iris" in response.content


def test_a_user_without_a_role_gets_a_friendly_403(client, charlie, registry):
    response = logged_in(client, charlie).get("/models/")

    assert response.status_code == 403
    assert b"You are not allowed to see this" in response.content


def test_an_unknown_model_is_a_friendly_404(client, bob, registry):
    response = logged_in(client, bob).get("/models/nope/")

    assert response.status_code == 404
    assert b"Registered Model with name=nope not found" in response.content


def test_the_model_list_shows_latest_version_production_holder_and_aliases(client, bob, registry):
    content = logged_in(client, bob).get("/models/").content.decode()

    assert 'href="/models/iris/"' in content
    assert 'href="/models/iris/versions/3/">v3</a>' in content  # latest
    assert 'href="/models/iris/versions/1/">v1</a>' in content  # production
    assert "@champion → v1" in content


def test_the_model_list_searches_by_name_and_filters_by_stage(client, bob, registry, as_alice, iris_joblib):
    upload(as_alice, "wine", iris_joblib)
    client = logged_in(client, bob)

    assert b"/models/wine/" not in client.get("/models/?search=iri").content
    assert b"/models/iris/" in client.get("/models/?search=iri").content
    assert b"/models/wine/" not in client.get("/models/?stage=Production").content


def test_the_model_page_lists_versions_with_stage_aliases_and_metrics(client, bob, registry):
    content = logged_in(client, bob).get("/models/iris/").content.decode()

    assert '<span class="badge Production">Production</span>' in content
    assert '<span class="badge Staging">Staging</span>' in content
    assert '<span class="chip">@champion</span>' in content
    assert "0.97" in content and "<th>accuracy</th>" in content


def test_a_script_in_a_description_renders_inert(client, bob, registry):
    registry.description = "# Iris\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) and *fine*"
    registry.save()

    content = logged_in(client, bob).get("/models/iris/").content.decode()

    assert "<h1>Iris</h1>" in content
    assert "<em>fine</em>" in content
    assert "<script>alert(1)</script>" not in content
    assert "javascript:" not in content


def test_the_version_page_shows_the_recorded_metadata_and_a_curl_to_invoke_it(client, bob, registry):
    version = registry.versions.get(version=3)

    content = logged_in(client, bob).get("/models/iris/versions/3/").content.decode()

    assert version.artifact_sha256 in content
    assert "sklearn.linear_model._logistic.LogisticRegression" in content
    assert "sepal length (cm)" in content  # the signature table
    assert "solver" in content and "0.97" in content
    assert "s3://data / iris.csv" in content
    assert "http://testserver/model/iris/3/invocations" in content
    assert "http://testserver/model/iris/invocations" in content
    assert "dataframe_split" in content


def test_a_viewer_sees_no_promotion_controls(client, bob, registry):
    content = logged_in(client, bob).get("/models/iris/versions/3/").content.decode()

    assert "Change stage" not in content
    assert "/stage/" not in content


def test_a_viewer_cannot_post_a_stage_change(client, bob, registry):
    response = logged_in(client, bob).post("/models/iris/versions/3/stage/", {"stage": "Production", "confirm": "1"})

    assert response.status_code == 403
    assert registry.versions.get(version=3).stage == "None"


def test_a_promoter_changes_a_stage_after_a_confirmation_step(client, carol, registry):
    client = logged_in(client, carol)
    form = {"stage": "Production", "comment": "best accuracy", "archive_existing": "on"}

    confirmation = client.post("/models/iris/versions/3/stage/", form)

    assert confirmation.status_code == 200
    assert b"Move version 3 from None to Production?" in confirmation.content
    assert b"These versions will move to Archived: v1" in confirmation.content
    assert registry.versions.get(version=3).stage == "None"

    done = client.post("/models/iris/versions/3/stage/", {**form, "confirm": "1"}, follow=True)

    assert b"Version 3 is now Production." in done.content
    assert dict(registry.versions.values_list("version", "stage")) == {1: "Archived", 2: "Staging", 3: "Production"}
    entry = changes().get(version=3)
    assert (entry.actor_name, entry.comment, entry.to_value) == ("carol", "best accuracy", "Production")


def test_a_promoter_moves_and_removes_an_alias(client, carol, registry):
    client = logged_in(client, carol)

    client.post("/models/iris/versions/3/alias/", {"alias": "champion", "comment": "new best", "confirm": "1"})
    assert Alias.objects.get(name="champion").version.version == 3
    client.post("/models/iris/aliases/champion/delete/", {"confirm": "1", "comment": "retired"})

    assert not Alias.objects.exists()
    actions = list(changes().order_by("id").values_list("action", "to_value", "comment"))
    assert actions == [("alias_set", "champion@3", "new best"), ("alias_delete", "", "retired")]


def test_the_stage_history_on_a_version_page_comes_from_the_audit_log(client, carol, registry):
    client = logged_in(client, carol)
    client.post("/models/iris/versions/3/stage/", {"stage": "Staging", "comment": "try it", "confirm": "1"})

    content = client.get("/models/iris/versions/3/").content.decode()

    assert "Stage change: None → Staging" in content
    assert "try it" in content


def test_comparing_versions_shows_metrics_side_by_side_with_a_chart(client, bob, registry):
    content = logged_in(client, bob).get("/models/iris/compare/?v=1&v=3").content.decode()

    assert '<tr class="diff"><th>accuracy</th><td class="mono">0.97</td><td class="mono">0.91</td></tr>' in content
    assert "<th>f1</th>" in content
    assert content.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2  # accuracy and f1
    assert "<title>v3: 0.97</title>" in content


def test_comparing_with_differences_only_hides_equal_rows(client, bob, registry):
    content = logged_in(client, bob).get("/models/iris/compare/?v=1&v=3&diff=1").content.decode()

    assert "<th>accuracy</th>" in content
    assert "<th>f1</th>" not in content
    assert "<th>solver</th>" not in content


def test_the_audit_page_filters_by_model_user_and_action(client, carol, registry, as_alice, iris_joblib):
    upload(as_alice, "wine", iris_joblib)
    client = logged_in(client, carol)
    client.post("/models/iris/versions/3/stage/", {"stage": "Staging", "comment": "x", "confirm": "1"})
    client.post("/models/wine/versions/1/alias/", {"alias": "best", "confirm": "1"})

    iris_only = client.get("/audit/?model=iris").content.decode()
    aliases_only = client.get("/audit/?action=alias_set&actor=carol").content.decode()

    assert "Stage change" in iris_only and "/models/wine/" not in iris_only
    assert "best@1" in aliases_only and "Stage change</td>" not in aliases_only


def test_an_uploader_uploads_a_version_from_the_form(client, alice, iris_joblib, db):
    file = io.BytesIO(iris_joblib)
    file.name = "model.joblib"

    response = logged_in(client, alice).post(
        "/models/upload/", {"name": "iris", "file": file, "metrics": '{"accuracy": 0.9}'}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/models/iris/versions/1/"
    assert b"the scan found nothing unsafe" in response.content
    assert ModelVersion.objects.get().metrics == {"accuracy": 0.9}


def test_the_upload_form_shows_the_scans_refusal_next_to_the_file(client, alice, db):
    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))

    file = io.BytesIO(pickle.dumps(Evil()))
    file.name = "model.pkl"

    response = logged_in(client, alice).post("/models/upload/", {"name": "evil", "file": file})

    assert response.status_code == 400
    assert b"not allowed" in response.content and b"system" in response.content
    assert not ModelVersion.objects.exists()


def test_the_upload_form_names_a_malformed_field(client, alice, iris_joblib, db):
    file = io.BytesIO(iris_joblib)
    file.name = "model.joblib"

    response = logged_in(client, alice).post("/models/upload/", {"name": "iris", "file": file, "params": "{oops"})

    assert response.status_code == 400
    assert b"not valid JSON" in response.content
    assert not ModelVersion.objects.exists()


def test_the_upload_form_answers_a_file_over_the_limit_with_413(client, alice, iris_joblib, settings):
    settings.REGISTRY_MAX_UPLOAD_BYTES = 100
    file = io.BytesIO(iris_joblib)
    file.name = "model.joblib"

    response = logged_in(client, alice).post("/models/upload/", {"name": "iris", "file": file})

    assert response.status_code == 413
    assert b"larger than the limit" in response.content
    assert not ModelVersion.objects.exists()


def test_a_viewer_cannot_open_the_upload_form(client, bob, db):
    assert logged_in(client, bob).get("/models/upload/").status_code == 403


def test_the_model_list_and_a_model_page_run_a_constant_number_of_queries(client, bob, django_assert_max_num_queries):
    author = User.objects.create_user("trainer")
    models = RegisteredModel.objects.bulk_create(
        RegisteredModel(name=f"model-{i:04d}", last_version_number=10, created_by=author) for i in range(2000)
    )
    ModelVersion.objects.bulk_create(
        ModelVersion(
            model=m,
            version=n,
            artifact_sha256="0" * 64,
            artifact_size=1,
            artifact_format="joblib",
            flavor="sklearn",
            serialization="joblib",
            estimator_class="x.Y",
            created_by=author,
            stage="Production" if n == 10 else "None",
            metrics={"accuracy": n / 10},
        )
        for m in models
        for n in range(1, 11)
    )
    client = logged_in(client, bob)

    with django_assert_max_num_queries(12):
        listing = client.get("/models/?page=3")
    # The model page adds its serving history and, for a reader, one look for a grant on it.
    with django_assert_max_num_queries(14):
        page = client.get("/models/model-1999/")

    assert listing.status_code == 200 and b"model-0100" in listing.content
    assert page.status_code == 200 and b"v10" in page.content


def test_the_version_page_draws_its_lineage_neighbourhood(client, bob, registry):
    response = logged_in(client, bob).get("/models/iris/versions/3/")

    links, edges = nodes_and_edges(svg_of(response))
    assert set(links) == {"model:iris:3", "job:model-registry:train.iris", "dataset:s3://data:iris.csv"}
    assert ("dataset:s3://data:iris.csv", "job:model-registry:train.iris") in edges
    assert ("job:model-registry:train.iris", "model:iris:3") in edges
    assert links["dataset:s3://data:iris.csv"].startswith("/lineage/dataset/")


def test_a_version_without_input_datasets_shows_only_its_training_job(client, bob, as_alice, iris_joblib):
    upload(as_alice, "bare", iris_joblib)

    links, edges = nodes_and_edges(svg_of(logged_in(client, bob).get("/models/bare/versions/1/")))

    assert set(links) == {"model:bare:1", "job:model-registry:train.bare"}
    assert edges == [("job:model-registry:train.bare", "model:bare:1")]

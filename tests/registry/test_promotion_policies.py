"""A policy on a stage or alias: set, read and removed by promoters; a promotion that
fails its checks is refused on every surface and changes nothing."""

import json

import pytest
from sklearn.linear_model import LogisticRegression

from registry.models import Alias, AuditEntry, Holding, ModelVersion

from kit import client_for, joblib_bytes, registry_state, upload, user_with_roles

POLICIES = "/api/v1/models/iris/policies"
MLFLOW = "/api/2.0/mlflow"


def put_policy(client, target: str, rules: dict):
    return client.put(f"{POLICIES}/{target}", rules, format="json")


def promote(client, version: int, stage: str = "Production", **extra):
    return client.post(f"/api/v1/models/iris/versions/{version}/stage", {"stage": stage, **extra}, format="json")


def upload_with(client, content: bytes, **metrics):
    response = upload(client, "iris", content, metrics=json.dumps(metrics))
    assert response.status_code == 201, response.content
    return response.json()["version"]


@pytest.fixture
def iris_v1_in_production(as_alice, as_carol, iris_joblib):
    """v1 (accuracy 0.9, rmse 0.5) in Production and under champion; v2 registered with
    accuracy 0.8 and rmse 0.3."""
    upload_with(as_alice, iris_joblib, accuracy=0.9, rmse=0.5)
    assert promote(as_carol, 1).status_code == 200
    assert as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 1}, format="json").status_code == 200
    upload_with(as_alice, iris_joblib, accuracy=0.8, rmse=0.3)


def test_a_promoter_sets_reads_and_deletes_a_policy(as_alice, as_carol, iris_joblib):
    upload_with(as_alice, iris_joblib, accuracy=0.9)
    rules = {"min_metrics": {"accuracy": 0.9}, "approvals_required": 1}

    put = put_policy(as_carol, "production", rules)
    read = as_carol.get(f"{POLICIES}/Production")
    listed = as_carol.get(POLICIES)
    deleted = as_carol.delete(f"{POLICIES}/Production")

    assert put.status_code == 200
    assert (read.json()["target"], read.json()["rules"], read.json()["updated_by"]) == ("Production", rules, "carol")
    assert [p["target"] for p in listed.json()] == ["Production"]
    assert deleted.status_code == 204
    assert as_carol.get(f"{POLICIES}/Production").status_code == 404


def test_a_policy_may_gate_an_alias(as_alice, as_carol, iris_joblib):
    upload_with(as_alice, iris_joblib, accuracy=0.9)

    response = put_policy(as_carol, "champion", {"signature_compatible": True})

    assert (response.status_code, response.json()["target"]) == (200, "champion")


@pytest.mark.parametrize(
    ("rules", "named"),
    [
        ({"min_accuracy": 0.9}, "min_accuracy"),
        ({"min_metrics": {"accuracy": "high"}}, "min_metrics"),
        ({"must_beat_current": "accuracy"}, "must_beat_current"),
        ({"lower_is_better": [1]}, "lower_is_better"),
        ({"signature_compatible": "yes"}, "signature_compatible"),
        ({"approvals_required": 1.5}, "approvals_required"),
        ({"approvals_required": True}, "approvals_required"),
    ],
)
def test_a_bad_rule_is_refused_naming_its_key(as_alice, as_carol, iris_joblib, rules, named):
    upload_with(as_alice, iris_joblib)

    response = put_policy(as_carol, "Production", rules)

    assert (response.status_code, response.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert named in response.json()["message"]
    assert not as_carol.get(POLICIES).json()


def test_a_target_that_is_neither_a_stage_nor_an_alias_is_refused(as_alice, as_carol, iris_joblib):
    upload_with(as_alice, iris_joblib)

    response = put_policy(as_carol, "latest", {"approvals_required": 1})

    assert response.status_code == 400
    assert "target must be a stage" in response.json()["message"]


def test_a_reader_reads_policies_but_may_not_set_or_delete_them(as_alice, as_bob, as_carol, iris_joblib):
    upload_with(as_alice, iris_joblib)
    put_policy(as_carol, "Production", {"approvals_required": 1})

    assert as_bob.get(f"{POLICIES}/Production").status_code == 200
    assert put_policy(as_bob, "Production", {}).status_code == 403
    assert as_bob.delete(f"{POLICIES}/Production").status_code == 403
    assert as_carol.get(f"{POLICIES}/Production").json()["rules"] == {"approvals_required": 1}


def test_a_blocked_promotion_leaves_every_stage_and_alias_as_it_was(as_carol, iris_v1_in_production):
    put_policy(as_carol, "Production", {"min_metrics": {"accuracy": 0.85}})
    put_policy(as_carol, "champion", {"min_metrics": {"accuracy": 0.85}})
    before, holdings, audit = (
        registry_state(),
        list(Holding.objects.values_list("id", "ended_at")),
        AuditEntry.objects.count(),
    )

    staged = promote(as_carol, 2, archive_existing=True)
    aliased = as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 2}, format="json")

    assert (staged.status_code, aliased.status_code) == (409, 409)
    assert registry_state() == before
    assert list(Holding.objects.values_list("id", "ended_at")) == holdings
    assert AuditEntry.objects.count() == audit
    assert dict(ModelVersion.objects.values_list("version", "stage")) == {1: "Production", 2: "None"}
    assert Alias.objects.get().version.version == 1


def test_min_metrics_blocks_a_version_below_the_threshold_and_says_which_check(as_carol, iris_v1_in_production):
    put_policy(as_carol, "Production", {"min_metrics": {"accuracy": 0.85, "rmse": 0.4}, "lower_is_better": ["rmse"]})

    response = promote(as_carol, 2)

    assert response.status_code == 409
    body = response.json()
    assert body["error_code"] == "PROMOTION_BLOCKED"
    assert body["checks"] == [
        {"name": "min_metrics.accuracy", "passed": False, "detail": "accuracy 0.8 < 0.85"},
        {"name": "min_metrics.rmse", "passed": True, "detail": "rmse 0.3 <= 0.4"},
    ]
    assert "min_metrics.accuracy" in body["message"]


def test_min_metrics_lets_a_version_at_the_threshold_through(as_carol, iris_v1_in_production):
    put_policy(as_carol, "Production", {"min_metrics": {"accuracy": 0.8}})

    response = promote(as_carol, 2)

    assert (response.status_code, response.json()["stage"]) == (200, "Production")


def test_a_metric_the_version_did_not_record_fails_min_metrics(as_carol, iris_v1_in_production):
    put_policy(as_carol, "Production", {"min_metrics": {"f1": 0.5}})

    response = promote(as_carol, 2)

    assert response.status_code == 409
    assert response.json()["checks"][0]["detail"] == "f1 is not recorded for version 2"


def test_must_beat_current_with_lower_is_better_lets_the_lower_error_through(as_carol, iris_v1_in_production):
    put_policy(as_carol, "Production", {"must_beat_current": ["rmse"], "lower_is_better": ["rmse"]})

    response = promote(as_carol, 2)

    assert response.status_code == 200
    assert ModelVersion.objects.get(version=2).stage == "Production"


def test_must_beat_current_blocks_a_version_that_does_not_beat_the_one_serving(as_carol, iris_v1_in_production):
    put_policy(as_carol, "Production", {"must_beat_current": ["accuracy", "rmse"], "lower_is_better": ["rmse"]})

    response = promote(as_carol, 2)

    assert response.status_code == 409
    assert response.json()["checks"] == [
        {
            "name": "must_beat_current.accuracy",
            "passed": False,
            "detail": "accuracy 0.8 does not beat 0.9 of version 1 (higher is better)",
        },
        {
            "name": "must_beat_current.rmse",
            "passed": True,
            "detail": "rmse 0.3 beats 0.5 of version 1 (lower is better)",
        },
    ]


def test_must_beat_current_passes_when_nothing_serves_the_target_yet(as_alice, as_carol, iris_joblib):
    upload_with(as_alice, iris_joblib, accuracy=0.1)
    put_policy(as_carol, "Staging", {"must_beat_current": ["accuracy"], "signature_compatible": True})

    response = promote(as_carol, 1, "staging")

    assert response.status_code == 200
    assert ModelVersion.objects.get().stage == "Staging"


def test_a_version_with_other_input_columns_is_refused_by_signature_compatible(
    as_alice, as_carol, iris, iris_v1_in_production
):
    X, y = iris
    renamed = X.rename(columns={X.columns[0]: "sepal_length"})
    upload_with(as_alice, joblib_bytes(LogisticRegression(max_iter=500).fit(renamed, y)), accuracy=0.99)
    put_policy(as_carol, "champion", {"signature_compatible": True})

    refused = as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 3}, format="json")
    allowed = as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 2}, format="json")

    assert refused.status_code == 409
    check = refused.json()["checks"][0]
    assert (check["name"], check["passed"]) == ("signature_compatible", False)
    assert "missing sepal length (cm)" in check["detail"] and "new sepal_length" in check["detail"]
    assert allowed.status_code == 200
    assert Alias.objects.get().version.version == 2


def test_the_mlflow_transition_to_a_gated_stage_is_refused_with_the_checks(as_carol, iris_v1_in_production):
    put_policy(as_carol, "Production", {"min_metrics": {"accuracy": 0.85}})
    before = registry_state()

    response = as_carol.post(
        f"{MLFLOW}/model-versions/transition-stage",
        {"name": "iris", "version": "2", "stage": "Production", "archive_existing_versions": True},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["error_code"] == "RESOURCE_CONFLICT"
    assert "accuracy 0.8 < 0.85" in response.json()["message"]
    assert response.json()["checks"][0]["name"] == "min_metrics.accuracy"
    assert registry_state() == before


def test_the_mlflow_alias_set_on_a_gated_alias_is_refused(as_carol, iris_v1_in_production):
    put_policy(as_carol, "champion", {"approvals_required": 1})
    before = registry_state()

    response = as_carol.post(
        f"{MLFLOW}/registered-models/alias", {"name": "iris", "alias": "champion", "version": "2"}, format="json"
    )

    assert (response.status_code, response.json()["error_code"]) == (409, "RESOURCE_CONFLICT")
    assert registry_state() == before


def test_the_admin_promotion_action_is_refused_with_a_message(client, carol, as_carol, iris_v1_in_production):
    put_policy(as_carol, "Production", {"min_metrics": {"accuracy": 0.85}})
    carol.is_staff = True
    carol.save()
    client.force_login(carol)
    version = ModelVersion.objects.get(version=2)

    response = client.post(
        "/admin/registry/modelversion/",
        {"action": "promote_to_production", "_selected_action": [version.pk], "apply": "Confirm", "comment": "go"},
        follow=True,
    )

    assert response.status_code == 200
    assert "accuracy 0.8 &lt; 0.85" in response.content.decode()
    assert ModelVersion.objects.get(version=2).stage == "None"


def test_a_blocked_ui_promotion_shows_the_checks_as_an_error(client, carol, as_carol, iris_v1_in_production):
    put_policy(as_carol, "Production", {"min_metrics": {"accuracy": 0.85}})
    client.force_login(carol)

    response = client.post(
        "/models/iris/versions/2/stage/", {"stage": "Production", "comment": "ship it", "confirm": "1"}, follow=True
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "is blocked: min_metrics.accuracy (accuracy 0.8 &lt; 0.85)" in content
    assert ModelVersion.objects.get(version=2).stage == "None"


def test_the_version_page_shows_each_gated_targets_checks_before_the_promote_button(
    client, carol, as_carol, iris_v1_in_production
):
    put_policy(as_carol, "Production", {"min_metrics": {"accuracy": 0.85}})
    put_policy(as_carol, "champion", {"must_beat_current": ["rmse"], "lower_is_better": ["rmse"]})
    client.force_login(carol)

    content = client.get("/models/iris/versions/2/").content.decode()

    checks = content.index('id="gates"')
    assert checks < content.index('id="promote"')
    assert 'data-target="Production"' in content and 'data-target="champion"' in content
    assert "accuracy 0.8 &lt; 0.85" in content and "✗ fail" in content
    assert "rmse 0.3 beats 0.5 of version 1 (lower is better)" in content and "✓ pass" in content


def test_a_model_without_policies_promotes_as_before(as_alice, iris_joblib, db):
    upload_with(as_alice, iris_joblib)
    promoter = client_for(user_with_roles("pete", "promoters", token_only=True))

    assert promote(promoter, 1).status_code == 200


def test_staff_browse_policies_in_the_admin(admin_client, as_carol, iris_v1_in_production):
    put_policy(as_carol, "Production", {"approvals_required": 2})

    response = admin_client.get("/admin/registry/policy/")

    assert response.status_code == 200
    assert "approvals_required" in response.content.decode()


def test_a_nul_character_in_a_rule_is_refused(as_alice, as_carol, iris_joblib):
    upload_with(as_alice, iris_joblib)

    response = put_policy(as_carol, "Production", {"must_beat_current": ["acc\u0000uracy"]})

    assert response.status_code == 400
    assert not as_carol.get(POLICIES).json()


def test_the_confirmation_page_shows_the_checks_before_its_button(client, carol, as_carol, iris_v1_in_production):
    put_policy(as_carol, "champion", {"min_metrics": {"accuracy": 0.85}})
    client.force_login(carol)

    content = client.post("/models/iris/versions/2/alias/", {"alias": "champion"}).content.decode()

    assert content.index('id="confirm-checks"') < content.index("Confirm</button>")
    assert "accuracy 0.8 &lt; 0.85" in content
    assert Alias.objects.get().version.version == 1

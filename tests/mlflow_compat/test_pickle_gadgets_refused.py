"""The attack review's scorer chain through MLflow's own path: the client uploads the
model folder to the artifact proxy, then `model-versions/create` registers it. The
server refuses it (MLflow's dialect: 400 INVALID_PARAMETER_VALUE) before any of it runs."""

from __future__ import annotations

from registry.models import ModelVersion

import gadgets

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
API = "/api/2.0/mlflow"


def test_the_scorer_chain_registered_through_model_versions_create_is_refused_before_it_writes(as_trina, tmp_path):
    target = tmp_path / "written.py"
    folder = "5/run-1/artifacts/model"
    files = {"MLmodel": gadgets.MLMODEL.encode(), "model.pkl": gadgets.scorer_writes_file(str(target), b"print(1)\n")}
    for name, content in files.items():
        put = as_trina.generic("PUT", f"{ARTIFACTS}/{folder}/{name}", content, content_type="application/octet-stream")
        assert put.status_code == 200
    assert as_trina.post(f"{API}/registered-models/create", {"name": "gadget"}, format="json").status_code == 200

    response = as_trina.post(
        f"{API}/model-versions/create", {"name": "gadget", "source": f"mlflow-artifacts:/{folder}"}, format="json"
    )

    assert not target.exists()
    assert response.status_code == 400, response.content
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "not allowed" in response.json()["message"]
    assert not ModelVersion.objects.filter(model__name="gadget").exists()

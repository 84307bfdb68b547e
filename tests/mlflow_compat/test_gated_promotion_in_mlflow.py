"""The real MlflowClient meets a promotion policy: a refusal it can read, not a 500 it
would retry, and nothing changed."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException
from mlflowkit import LIVE, native_version

from registry import services
from registry.models import Alias, ModelVersion

pytestmark = [
    pytest.mark.django_db(**LIVE),
    pytest.mark.filterwarnings("ignore:.*is deprecated since 2.9.0:FutureWarning"),  # stages: still called
]


@pytest.fixture
def gated_fraud(trina):
    """fraud-detector v1, whose Production and champion each ask for an approval."""
    version = native_version(trina, "fraud-detector")
    for target in ("Production", "champion"):
        services.policy_set(actor=None, model=version.model, target=target, rules={"approvals_required": 1})
    return version


def test_a_transition_to_a_gated_stage_is_refused_with_the_failed_check(mlflow_client, gated_fraud):
    with pytest.raises(MlflowException) as raised:
        mlflow_client.transition_model_version_stage("fraud-detector", "1", "Production")

    assert raised.value.error_code == "RESOURCE_CONFLICT"
    assert "approvals (0 of 1 approvals)" in raised.value.message
    assert ModelVersion.objects.get().stage == "None"


def test_setting_a_gated_alias_is_refused_and_leaves_no_alias(mlflow_client, gated_fraud):
    with pytest.raises(MlflowException) as raised:
        mlflow_client.set_registered_model_alias("fraud-detector", "champion", "1")

    assert raised.value.error_code == "RESOURCE_CONFLICT"
    assert not Alias.objects.exists()

"""The `registry` command, run as a user runs it (a subprocess) against a live server."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from clientkit import IRIS_ROW, LIVE, flipped, replace_stored_bytes

from registry.models import ModelVersion

pytestmark = pytest.mark.django_db(**LIVE)
REGISTRY = str(Path(sys.executable).parent / "registry")  # the console script pip installed


@pytest.fixture
def cli(url, trina_token):
    def run(*args: str, token: str | None = None) -> subprocess.CompletedProcess:
        env = {**os.environ, "REGISTRY_URL": url, "REGISTRY_TOKEN": token or trina_token}
        return subprocess.run([REGISTRY, *args], capture_output=True, text=True, env=env, timeout=300)

    return run


@pytest.fixture
def iris_file(iris_joblib, tmp_path) -> str:
    path = tmp_path / "iris.joblib"
    path.write_bytes(iris_joblib)
    return str(path)


def test_push_uploads_a_version_with_params_metrics_and_inputs(cli, iris_file):
    result = cli(
        "push", iris_file, "--name", "iris", "--params", '{"C": 1}', "--metrics", '{"accuracy": 0.97}',
        "--inputs", "s3://lake/iris/train.csv",
    )  # fmt: skip

    assert (result.returncode, result.stdout) == (0, "iris version 1\n")
    version = ModelVersion.objects.get(model__name="iris")
    assert (version.params, version.metrics) == ({"C": 1}, {"accuracy": 0.97})
    assert version.inputs == [{"namespace": "s3://lake", "name": "iris/train.csv"}]


def test_push_shows_progress_for_a_large_file(cli, wide_joblib, tmp_path):
    path = tmp_path / "wide.joblib"
    path.write_bytes(wide_joblib)

    result = cli("push", str(path), "--name", "wide")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "wide version 1\n"
    shown = [int(percent) for percent in re.findall(r"uploading wide\.joblib: (\d+)%", result.stderr)]
    assert len(shown) > 10 and shown == sorted(shown) and shown[-1] == 100


def test_promote_moves_a_version_to_a_stage_and_points_an_alias(cli, iris_file):
    cli("push", iris_file, "--name", "iris")

    staged = cli("promote", "iris", "1", "--stage", "Production")
    aliased = cli("promote", "iris", "1", "--alias", "champion")

    assert staged.stdout == "iris version 1: stage Production, aliases []\n"
    assert aliased.stdout == "iris version 1: stage Production, aliases ['champion']\n"


def test_predict_sends_a_csv_and_prints_the_predictions(cli, iris_file, tmp_path):
    cli("push", iris_file, "--name", "iris")
    csv = tmp_path / "rows.csv"
    csv.write_text(",".join(IRIS_ROW) + "\n" + ",".join(map(str, IRIS_ROW.values())) + "\n6.3,3.3,6.0,2.5\n")

    result = cli("predict", "iris/1", "--csv", str(csv))

    assert (result.returncode, json.loads(result.stdout)) == (0, [0, 2])


def test_pull_writes_the_verified_artifact(cli, iris_file, iris_joblib, tmp_path):
    cli("push", iris_file, "--name", "iris")
    cli("promote", "iris", "1", "--alias", "champion")

    result = cli("pull", "iris/champion", "-o", str(tmp_path / "out.joblib"))

    assert result.returncode == 0, result.stderr
    assert "sha256" in result.stdout and "verified" in result.stdout
    assert (tmp_path / "out.joblib").read_bytes() == iris_joblib


def test_pull_refuses_a_tampered_artifact_and_leaves_no_file(cli, iris_file, iris_joblib, tmp_path):
    cli("push", iris_file, "--name", "iris")
    sha256 = ModelVersion.objects.get().artifact_sha256
    replace_stored_bytes(sha256, flipped(iris_joblib))

    (tmp_path / "pulled").mkdir()

    result = cli("pull", "iris", "-o", str(tmp_path / "pulled" / "out.joblib"))

    assert result.returncode == 1
    assert f"the registry recorded {sha256}; refusing to use them" in result.stderr
    assert os.listdir(tmp_path / "pulled") == []  # neither out.joblib nor a partial file


def test_an_unknown_model_is_an_error_naming_it_with_its_status(cli, tmp_path):
    result = cli("pull", "nosuch/3", "-o", str(tmp_path / "out"))

    assert result.returncode == 1
    assert result.stderr.startswith("registry: error: ")
    assert "nosuch" in result.stderr and result.stderr.endswith("(HTTP 404)\n")


def test_a_bad_token_is_an_error_with_status_401(cli, iris_file):
    result = cli("push", iris_file, "--name", "iris", token="not-a-token")

    assert result.returncode == 1
    assert result.stderr.startswith("registry: error: ") and result.stderr.endswith("(HTTP 401)\n")


def test_bad_json_in_params_names_the_option_and_exits_2(cli, iris_file):
    result = cli("push", iris_file, "--name", "iris", "--params", "{C: 1}")

    assert result.returncode == 2
    assert "argument --params: not valid JSON" in result.stderr


def test_an_unreachable_server_is_named(cli, iris_file, tmp_path):
    result = cli("--url", "http://127.0.0.1:9", "pull", "iris", "-o", str(tmp_path / "out"))

    assert result.returncode == 1
    assert result.stderr.startswith("registry: error: cannot reach http://127.0.0.1:9: ")

"""MLflow model directories through the REST upload, as a user sends them."""

import io
import zipfile

import pytest
from sklearn.ensemble import RandomForestClassifier
from test_mlflow_archives import FRAME, TARGET, save_with_mlflow, tar_directory, zip_directory

from registry.models import ModelVersion

from kit import upload

COLUMNS = [{"name": "width", "type": "double"}, {"name": "height", "type": "double"}]


@pytest.fixture(scope="module")
def forest():
    return RandomForestClassifier(n_estimators=5, random_state=0).fit(FRAME, TARGET)


@pytest.mark.parametrize(
    ("serialization", "options"),
    [("cloudpickle", {}), ("skops", {"skops_trusted_types": ["sklearn.tree._tree.Tree"]})],
)
def test_an_mlflow_model_zip_is_accepted_with_its_signature(as_alice, tmp_path, forest, serialization, options):
    directory = save_with_mlflow(tmp_path / "model", forest, serialization, input_example=FRAME.head(3), **options)
    archive = zip_directory(directory, tmp_path / "model.zip")

    with open(archive, "rb") as fh:
        response = upload(as_alice, "forest", fh.read(), filename="model.zip", format="mlflow")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["artifact"]["format"] == "mlflow"
    assert body["artifact"]["serialization"] == serialization
    assert body["estimator_class"] == "sklearn.ensemble._forest.RandomForestClassifier"
    assert body["signature"]["inputs"] == COLUMNS
    assert body["environment"]["python"]


def test_an_mlflow_model_tar_gz_is_accepted(as_alice, tmp_path, forest):
    directory = save_with_mlflow(tmp_path / "model", forest, "cloudpickle")
    archive = tar_directory(directory, tmp_path / "model.tar.gz")

    with open(archive, "rb") as fh:
        response = upload(as_alice, "forest", fh.read(), filename="model.tar.gz")

    assert response.status_code == 201, response.content
    assert response.json()["artifact"]["format"] == "mlflow"


@pytest.mark.parametrize("member", ["../evil", "/etc/evil", "model/../../evil"])
def test_an_archive_escaping_its_folder_is_refused_naming_the_member(as_alice, member):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("MLmodel", "flavors: {}\n")
        archive.writestr(member, "x")

    response = upload(as_alice, "evil", buffer.getvalue(), filename="model.zip")

    assert response.status_code == 422
    assert member in response.json()["message"]
    assert not ModelVersion.objects.exists()

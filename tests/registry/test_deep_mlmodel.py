"""An MLmodel file nested thousands of levels deep is refused (422), not a RecursionError."""

import io
import zipfile

from kit import upload


def test_an_mlmodel_nested_too_deeply_is_422_naming_the_file(as_alice):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("MLmodel", "flavors: " + "[" * 5000 + "]" * 5000 + "\n")

    response = upload(as_alice, "deep", archive.getvalue(), filename="model.zip")

    assert response.status_code == 422, response.content
    assert "MLmodel is nested too deeply" in response.json()["message"]

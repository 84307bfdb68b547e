"""The HTTP adapters import with the standard library and requests only: training code
that never loads a model locally does not pay for numpy, scikit-learn or Django."""

import subprocess
import sys

HEAVY = ("numpy", "sklearn", "django", "pandas", "joblib", "skops", "registry_client.safety")


def test_the_http_adapters_import_without_numpy_sklearn_or_django():
    probe = f"import sys, registry_client, registry_client.http; print([m for m in {HEAVY!r} if m in sys.modules])"

    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"

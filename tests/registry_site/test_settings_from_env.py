"""Start-up with bad settings fails, naming the variable (each case in a fresh process)."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start(**env) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k not in env}
    full.update({k: v for k, v in env.items() if v is not None})
    if env.get("SECRET_KEY", "unset") is None:
        full.pop("SECRET_KEY", None)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**full, "DJANGO_SETTINGS_MODULE": "registry_site.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("REGISTRY_MAX_UPLOAD_BYTES", "lots", "REGISTRY_MAX_UPLOAD_BYTES must be a whole number"),
        ("SERVING_CACHE_MAX_MODELS", "0", "SERVING_CACHE_MAX_MODELS must be at least 1"),
        ("REGISTRY_PUBLIC_READ", "maybe", "REGISTRY_PUBLIC_READ must be true or false"),
        ("DEBUG", "sometimes", "DEBUG must be true or false"),
        ("AUTH_FAILURES_PER_ADDRESS", "ten", "AUTH_FAILURES_PER_ADDRESS must be a whole number"),
        ("ARTIFACTS_URL", "ftp://x/y", "ARTIFACTS_URL must be file:///path or s3://bucket/prefix"),
        ("DATABASE_URL", "nonsense://", "DATABASE_URL is not a valid database URL"),
    ],
)
def test_an_invalid_setting_stops_start_up_naming_the_variable(variable, value, says):
    result = start(**{variable: value, "SECRET_KEY": "x"})

    assert result.returncode != 0
    assert says in result.stderr


def test_without_a_secret_key_and_debug_off_start_up_fails(tmp_path):
    result = start(SECRET_KEY=None, DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_valid_settings_start_with_debug_off_by_default():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        env={**os.environ, "SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "registry_site.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"

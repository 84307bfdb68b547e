#!/usr/bin/env python3
"""Set up and run the registry, or its tests, from a fresh clone with only Python 3.11+.

    python3 dev.py run     # venv, dependencies, database, demo data, server on http://127.0.0.1:8000
    python3 dev.py test    # venv, dev dependencies, the whole test suite (extra args go to pytest)

Standard library only: it is what runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VAR = ROOT / "var"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):
        sys.exit("Python 3.11 or newer is needed.")
    command = argv[0] if argv else "help"
    if command == "run":
        return run(argv[1:])
    if command == "test":
        return test(argv[1:])
    print(__doc__)
    return 0 if command == "help" else 2


def ensure_venv(requirements: str) -> None:
    """Create .venv and install `requirements` once per change of the requirement files."""
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    files = [ROOT / "requirements.txt", ROOT / "requirements-dev.txt"]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files) + requirements.encode()).hexdigest()
    stamp = VENV / f".installed-{requirements}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"Installing {requirements} ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-r", str(ROOT / requirements)], check=True)
    stamp.write_text(digest)


def secret(name: str, size: int = 32) -> str:
    """A random value kept in var/ so it survives restarts."""
    VAR.mkdir(exist_ok=True)
    path = VAR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(size))
        path.chmod(0o600)
    return path.read_text().strip()


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(PYTHON), str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True)


def run(args: list[str]) -> int:
    port = args[args.index("--port") + 1] if "--port" in args else "8000"
    ensure_venv("requirements.txt")
    password = secret("admin-password", 12)
    env = {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY") or secret("secret-key", 48)}
    manage("migrate", "--noinput", "-v", "0", env=env)
    manage("collectstatic", "--noinput", "-v", "0", env=env)
    admin_env = {**env, "DJANGO_SUPERUSER_PASSWORD": password}
    manage("ensure_admin", "--username", "admin", "--email", "admin@localhost", env=admin_env)
    manage("seed_demo", "--user", "admin", env=env)
    print(f"\n  Model registry: http://127.0.0.1:{port}/api/v1/models  (admin: http://127.0.0.1:{port}/admin/)")
    print(f"  Log in as: admin / {password}")
    print(f"  API docs:  http://127.0.0.1:{port}/api/docs/\n", flush=True)
    gunicorn = [
        str(BIN / "gunicorn"),
        "registry_site.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--threads",
        "4",
        "--access-logfile",
        "-",
    ]
    return subprocess.call(gunicorn, env=env, cwd=ROOT)


def test(args: list[str]) -> int:
    ensure_venv("requirements-dev.txt")
    env = {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY") or "test-only-not-secret", "DEBUG": "false"}
    # One pytest worker per core unless the caller chose (`-n 0` runs in this process).
    # `--dist load` hands each worker its tests in collection order, which pytest-django
    # sorts so that transactional tests (they empty the tables after themselves) come last.
    chosen = any(a == "-n" or a.startswith("--numprocesses") for a in args)
    parallel = [] if chosen else ["-n", "auto", "--dist", "load"]
    return subprocess.call([str(PYTHON), "-m", "pytest", *parallel, *args], env=env, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

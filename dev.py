#!/usr/bin/env python3
"""Set up and run the registry, or its tests, from a fresh clone with only Python 3.11+.

    python3 dev.py run [--port N]   # venv, dependencies, database, demo data, then the web
                                    # server on http://127.0.0.1:N/ (8000) and one worker
    python3 dev.py test             # venv, dev dependencies, the whole test suite (extra args go to pytest)
    python3 dev.py manage CMD ...   # a manage.py command with the settings `run` uses

Standard library only: it is what runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
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
    if command == "manage":
        ensure_venv("requirements.txt")
        return subprocess.call([str(PYTHON), str(ROOT / "manage.py"), *argv[1:]], env=run_env(), cwd=ROOT)
    print(__doc__)
    return 0 if command == "help" else 2


def ensure_venv(requirements: str) -> None:
    """Create .venv and install `requirements` once per change of the requirement files."""
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    if _installed(requirements) or (requirements == "requirements.txt" and _installed("requirements-dev.txt")):
        return  # requirements-dev.txt includes requirements.txt
    print(f"Installing {requirements} ...", flush=True)
    # --no-compile: modules are compiled when first imported, most never are (botocore, mlflow).
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "--no-compile", "-q"]
    subprocess.run([*pip, "-r", str(ROOT / requirements)], check=True, cwd=ROOT)  # ./client is relative
    (VENV / f".installed-{requirements}").write_text(_digest(requirements))


def _installed(requirements: str) -> bool:
    stamp = VENV / f".installed-{requirements}"
    return stamp.exists() and stamp.read_text() == _digest(requirements)


def _digest(requirements: str) -> str:
    """Changes with either requirement file, so an edit to either reinstalls."""
    files = [ROOT / "requirements.txt", ROOT / "requirements-dev.txt"]
    return hashlib.sha256(b"".join(f.read_bytes() for f in files) + requirements.encode()).hexdigest()


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


def run_env() -> dict:
    return {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY") or secret("secret-key", 48)}


def run(args: list[str]) -> int:
    port = chosen_port(args)
    if not port_free(port):
        sys.exit(f"Port {port} on 127.0.0.1 is in use: stop what uses it, or choose another with --port N.")
    ensure_venv("requirements.txt")
    password = secret("admin-password", 12)
    env = run_env()
    manage("migrate", "--noinput", "-v", "0", env=env)
    manage("collectstatic", "--noinput", "-v", "0", env=env)
    admin_env = {**env, "DJANGO_SUPERUSER_PASSWORD": password}
    manage("ensure_admin", "--username", "admin", "--email", "admin@localhost", env=admin_env)
    manage("seed_demo", "--user", "admin", env=env)
    print(f"\n  Web UI:    http://127.0.0.1:{port}/")
    print(f"  Log in as: admin / {password}")
    print(f"  API token: http://127.0.0.1:{port}/accounts/token/")
    print(f"  API docs:  http://127.0.0.1:{port}/api/docs/   (admin: http://127.0.0.1:{port}/admin/)")
    print("  Ctrl-C stops the web server and the worker.\n", flush=True)
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
    worker = [str(PYTHON), str(ROOT / "manage.py"), "db_worker", "--no-reload"]
    return run_together([gunicorn, worker], env=env)


def chosen_port(args: list[str]) -> int:
    if "--port" not in args:
        return 8000
    index = args.index("--port") + 1
    if index >= len(args) or not args[index].isdigit() or not 0 < int(args[index]) < 65536:
        sys.exit("--port needs a number from 1 to 65535, as in: python3 dev.py run --port 8001")
    return int(args[index])


def port_free(port: int) -> bool:
    """Whether the web server could bind the port (with SO_REUSEADDR, as gunicorn does)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def run_together(commands: list[list[str]], env: dict) -> int:
    """Start every command; when one ends, or on Ctrl-C or SIGTERM, stop them all."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    processes = [subprocess.Popen(command, env=env, cwd=ROOT) for command in commands]
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        return next(process.returncode for process in processes if process.returncode is not None)
    except KeyboardInterrupt:
        return 130
    finally:
        stop(processes)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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

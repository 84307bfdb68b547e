"""`python3 dev.py run`: the README's first command. It checks the port before it says
anything, then serves the web UI with one background worker beside it, and stops both on
SIGTERM (Ctrl-C sends SIGINT to all three at once)."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from kit import free_port, own_sqlite_processes

ROOT = Path(__file__).resolve().parents[2]


def test_a_busy_port_is_named_before_anything_else_happens(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        finished = subprocess.run(
            [sys.executable, str(ROOT / "dev.py"), "run", "--port", str(port)], capture_output=True, text=True
        )

    assert finished.returncode == 1
    assert finished.stdout == ""
    assert finished.stderr.strip() == (
        f"Port {port} on 127.0.0.1 is in use: stop what uses it, or choose another with --port N."
    )


def _children(pid: int) -> dict[int, str]:
    listed = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return {int(line.split(None, 1)[0]): line.split(None, 1)[1] for line in listed.splitlines() if line.strip()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


@own_sqlite_processes
def test_the_web_ui_and_one_worker_run_until_sigterm_stops_both(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        "ARTIFACTS_URL": f"file://{tmp_path / 'artifacts'}",
        "TASKS_BACKEND": "database",
        "SERVING_ONNX": "false",  # the demo's compiles would only compete with the other tests
        "PYTHONUNBUFFERED": "1",
    }
    dev = subprocess.Popen(
        [sys.executable, str(ROOT / "dev.py"), "run", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        said = ""
        while "Ctrl-C stops" not in said and dev.poll() is None:
            said += dev.stdout.readline()
        assert re.search(rf"Web UI: +http://127\.0\.0\.1:{port}/\n", said), said[-2000:]
        home = None
        for _ in range(100):
            try:
                home = requests.get(f"http://127.0.0.1:{port}/", timeout=60)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        children = _children(dev.pid)

        dev.send_signal(signal.SIGTERM)
        dev.wait(timeout=60)
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGKILL)

    assert home is not None and home.status_code == 200
    assert sorted("db_worker" in args for args in children.values()) == [False, True]
    assert any("gunicorn" in args for args in children.values())
    assert not [pid for pid in children if _alive(pid)]

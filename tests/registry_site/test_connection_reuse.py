"""gunicorn.conf.py closes a kept-alive connection after WEB_MAX_REQUESTS_PER_CONNECTION
requests, so a busy long-lived client reconnects to whichever worker accepts first
instead of holding one worker for good. Runs the real gunicorn, as the Dockerfile does."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gunicorn(port: int, **env: str) -> subprocess.Popen:
    # The console script, as the Dockerfile and dev.py start it (not python -m, which
    # would put the working directory on sys.path by itself).
    command = [str(Path(sys.executable).parent / "gunicorn"), "registry_site.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--threads", "2", "--keep-alive", "30"]
    environment = {**os.environ, "SECRET_KEY": "test-only", "DEBUG": "false", **env}
    output = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "text": True}
    return subprocess.Popen(command, cwd=ROOT, env=environment, **output)


@contextmanager
def _serving(**env: str):
    port = _free_port()
    server = _gunicorn(port, **env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"gunicorn did not start: {server.communicate()[1][-2000:]}") from None
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _connection_headers(port: int, requests: int) -> tuple[list[str], bool]:
    """The Connection header of each answer on one connection, and whether the server
    closed that connection after the last one."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = []
    for _ in range(requests):
        connection.request("GET", "/accounts/login/")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        headers.append(response.getheader("Connection"))
    closed = connection.sock is None  # http.client drops the socket when told to close
    connection.close()
    return headers, closed


def test_a_kept_alive_connection_is_closed_after_the_configured_number_of_requests():
    with _serving(WEB_MAX_REQUESTS_PER_CONNECTION="3") as port:
        headers, closed = _connection_headers(port, 3)

    assert headers == ["keep-alive", "keep-alive", "close"]
    assert closed


def test_zero_keeps_the_connection_open():
    with _serving(WEB_MAX_REQUESTS_PER_CONNECTION="0") as port:
        headers, closed = _connection_headers(port, 5)

    assert headers == ["keep-alive"] * 5
    assert not closed


def test_a_bad_value_stops_gunicorn_with_a_message_naming_the_variable():
    server = _gunicorn(_free_port(), WEB_MAX_REQUESTS_PER_CONNECTION="lots")

    _, errors = server.communicate(timeout=60)

    assert server.returncode != 0
    assert "WEB_MAX_REQUESTS_PER_CONNECTION must be a whole number, not 'lots'" in errors

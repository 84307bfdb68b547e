"""Spooled uploads leave nothing behind: not when refused, not when the client goes away,
and not when the worker is killed mid-upload (the next process to start sweeps it)."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from rest_framework.authtoken.models import Token

from registry import spool

from kit import declaring, temporary_files, upload

MiB = 1024**2
PROJECT = Path(__file__).resolve().parents[2]
# The real upload handler, part-way through a file: one MiB received, then it waits.
SPOOLING = """
import sys, time, django
django.setup()
from registry.artifacts import ArtifactUploadHandler
handler = ArtifactUploadHandler()
handler.handle_raw_input(None, {}, 10 * 1024**2, b"boundary")
handler.new_file("file", "model.joblib", "application/octet-stream", 10 * 1024**2)
handler.receive_data_chunk(b"x" * 1024**2, 0)
print(handler.file.temporary_file_path(), flush=True)
time.sleep(600)
"""


def run_python(code: str, settings, **options):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "registry_site.settings", "SECRET_KEY": "x"}
    env["FILE_UPLOAD_TEMP_DIR"] = settings.FILE_UPLOAD_TEMP_DIR
    return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=PROJECT, **options)


@pytest.fixture
def spooling(settings):
    """Another process receiving an upload, stopped half-way: (the process, its spool file)."""
    child = run_python(SPOOLING, settings, stdout=subprocess.PIPE, text=True)
    try:
        path = child.stdout.readline().strip()
        assert path, "the spooling process printed no file"
        yield child, path
    finally:
        child.kill()
        child.wait()


# --- a killed worker -------------------------------------------------------------------


def test_a_worker_killed_mid_upload_leaves_a_folder_that_the_next_start_removes(spooling, settings):
    child, path = spooling
    assert os.path.getsize(path) == MiB
    child.send_signal(signal.SIGKILL)  # as gunicorn does to a worker past its timeout
    child.wait()
    assert os.path.exists(path)  # nothing ran in the killed process to remove it

    started = run_python("import django; django.setup()", settings)

    assert started.wait(timeout=120) == 0
    assert not os.path.exists(os.path.dirname(path))
    assert temporary_files() == []


def test_the_spool_folder_of_a_running_process_is_not_swept(spooling):
    _, path = spooling

    assert spool.sweep() == []
    assert os.path.exists(path)


def test_a_folder_whose_pid_now_belongs_to_another_process_is_swept():
    own = spool.folder()
    stale = Path(own).with_name(f"{os.getpid()}.1")  # this pid, but another start time
    stale.mkdir()
    (stale / "upload-left.upload").write_bytes(b"x")

    assert spool.sweep() == [stale.name]
    assert os.path.isdir(own)


def test_a_spool_folder_that_others_can_use_is_refused_naming_the_setting():
    # In a shared /tmp, another user could make the folder first and swap what is checked.
    shared = Path(spool.root())
    shared.mkdir()
    shared.chmod(0o777)

    with pytest.raises(ImproperlyConfigured, match="FILE_UPLOAD_TEMP_DIR"):
        spool.folder()


# --- refused and cut-off uploads -------------------------------------------------------


def test_an_upload_over_the_size_limit_leaves_no_file_in_the_temp_folder(as_alice, settings):
    settings.REGISTRY_MAX_UPLOAD_BYTES = 3 * MiB

    response = upload(as_alice, "big", bytes(5 * MiB))

    assert response.status_code == 413
    assert temporary_files() == []


def test_an_upload_not_matching_its_declared_digest_leaves_no_file_in_the_temp_folder(as_alice):
    response = upload(as_alice, "iris", b"x" * MiB, headers=declaring(b"something else"))

    assert response.status_code == 400
    assert temporary_files() == []


class _CutOff(io.RawIOBase):
    """A request body whose client goes away half-way: the read ends early, or fails."""

    def __init__(self, data: bytes, *, fails: bool):
        self._data, self._fails = io.BytesIO(data), fails

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._data.readinto(buffer)
        if not count and self._fails:
            raise ConnectionResetError("the client went away")
        return count


@contextlib.contextmanager
def _test_connection_kept():
    """As Django's test client does: the handler's request signals would close the test's
    database connection, which is inside the test's transaction."""
    signals = (request_started, request_finished)
    for signal_ in signals:
        signal_.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal_ in signals:
            signal_.connect(close_old_connections)


@pytest.mark.parametrize("fails", [False, True], ids=["body-ends-early", "connection-reset"])
def test_an_upload_cut_off_by_the_client_leaves_no_file_in_the_temp_folder(alice, fails):
    token = Token.objects.create(user=alice)
    request = RequestFactory().post(
        "/api/v1/models/cut/versions",
        {"file": io.BytesIO(bytes(4 * MiB))},
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    body = request.environ["wsgi.input"].read()
    environ = {**request.environ, "wsgi.input": io.BufferedReader(_CutOff(body[: 2 * MiB], fails=fails))}

    statuses = []
    with _test_connection_kept():
        response = WSGIHandler()(environ, lambda status, headers: statuses.append(status))
        response.close()  # as the WSGI server does, whatever the answer (nobody is left to read it)

    assert temporary_files() == []
    assert statuses[0].startswith("400"), statuses

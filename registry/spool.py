"""Where temporary copies of artifacts live, and how they go away even when a worker is killed.

Every temporary copy (an upload being received, a copy being hashed or verified before a
load, an archive member being scanned) is a file in this process's own folder:

    <FILE_UPLOAD_TEMP_DIR, or the system temp folder>/registry-spool/<host>/<pid>.<start time>/

Each copy is removed by the code that made it, on success, error and refusal alike. A
process killed mid-upload (gunicorn sends SIGKILL to a worker past its timeout) runs no
cleanup at all, so every process, at start-up (RegistryConfig.ready) and when it first
spools, removes the folders of this host's processes that are no longer running. The start
time (from /proc) tells a pid reused by a new process from the one that made the folder.
Folders of other hosts sharing the temp folder are left to their own host.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import socket
import stat
import tempfile
from typing import IO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

ROOT_NAME = "registry-spool"
_FOLDER_NAME = re.compile(r"(\d+)\.(\w+)")
# (root, pid) -> this process's folder; keyed by pid so a forked worker makes its own.
_folders: dict[tuple[str, int], str] = {}


def root() -> str:
    return os.path.join(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir(), ROOT_NAME)


def folder() -> str:
    """This process's spool folder, made on first use (after sweeping dead processes')."""
    key = (root(), os.getpid())
    path = _folders.get(key)
    if path is None or not os.path.isdir(path):
        sweep()
        path = os.path.join(_host_folder(), f"{key[1]}.{_start_time(key[1]) or 0}")
        _private_folder(path)
        _folders[key] = path
    return path


def named_file(prefix: str, suffix: str = "") -> IO[bytes]:
    """A new private file in this process's folder, deleted when closed."""
    return tempfile.NamedTemporaryFile(prefix=prefix, suffix=suffix, dir=folder())


def private_folder(prefix: str) -> tempfile.TemporaryDirectory:
    """A new private folder in this process's folder, deleted with its files on exit."""
    return tempfile.TemporaryDirectory(prefix=prefix, dir=folder())


def sweep() -> list[str]:
    """Remove the spool folders of this host's processes that are no longer running;
    returns their names."""
    host = os.path.join(root(), _host())
    try:
        for path in (root(), host):
            _require_own(path)
        names = os.listdir(host)
    except FileNotFoundError:
        return []
    removed = []
    for name in names:
        found = _FOLDER_NAME.fullmatch(name)
        if found is None or _is_running(int(found[1]), found[2]):
            continue  # not ours to judge, or still in use
        shutil.rmtree(os.path.join(host, name), ignore_errors=True)
        removed.append(name)
    if removed:
        log.info("removed the spool folders of ended processes: %s", ", ".join(removed))
    return removed


def sweep_at_start() -> None:
    """sweep() for start-up: a temp folder that cannot be read is logged, not fatal,
    as uploads will say it again; one owned by another user stops the start."""
    try:
        sweep()
    except OSError as exc:
        log.warning("could not sweep the spool folder %s: %s", root(), exc)


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "localhost"


def _host_folder() -> str:
    path = os.path.join(root(), _host())
    _private_folder(os.path.dirname(path))
    _private_folder(path)
    return path


def _private_folder(path: str) -> None:
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    _require_own(path)


def _require_own(path: str) -> None:
    # In a shared temp folder (/tmp) another user could have made the folder first, and
    # read or swap the artifacts in it between their check and their load.
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise ImproperlyConfigured(
            f"the spool folder {path} must be a folder that only this user can use (mode 700):"
            " remove it, or set FILE_UPLOAD_TEMP_DIR to a private folder"
        )


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first); None if absent."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            line = fh.read().decode("ascii", "replace")
    except OSError:
        return None
    return line.rpartition(")")[2].split()  # the name may hold spaces and parentheses


def _start_time(pid: int) -> str | None:
    fields = _proc_stat(pid)
    return fields[19] if fields else None  # field 22, in clock ticks since boot


def _is_running(pid: int, start: str) -> bool:
    fields = _proc_stat(pid)
    if fields is not None:
        return fields[0] != "Z" and fields[19] == start  # a zombie has ended
    if os.path.isdir("/proc/self"):
        return False
    try:  # no /proc (macOS): the pid alone tells
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

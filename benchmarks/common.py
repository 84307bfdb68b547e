"""What the benchmarks share: a free port, a fresh PostgreSQL database, and CPU time
from Linux /proc (a process, the whole machine, time stolen by the host) so far;
differences of two readings give a run's cost."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import psycopg

TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate_database(url: str) -> None:
    """Drop and create the database a postgres:// URL names, through the server's
    `postgres` database."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')


def process_seconds(pid: int) -> float:
    """User + system CPU of one process so far, all its threads."""
    return _name_and_seconds(Path(f"/proc/{pid}/stat"))[1]


def processes_seconds(name_prefix: str) -> float:
    """User + system CPU so far of every process whose name starts with `name_prefix`
    (all of a server's processes, such as PostgreSQL's backends)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, seconds = _name_and_seconds(stat)
        except OSError:  # the process ended meanwhile
            continue
        if name.startswith(name_prefix):
            total += seconds
    return total


def _name_and_seconds(stat: Path) -> tuple[str, float]:
    """A /proc/<pid>/stat file's process name and its user + system CPU seconds."""
    name, fields = stat.read_text().split(" (", 1)[1].rsplit(")", 1)
    utime, stime = fields.split()[11:13]
    return name, (int(utime) + int(stime)) / TICKS


def machine_busy_seconds() -> float:
    """CPU time spent by every process on the machine so far, all cores."""
    user, nice, system, _idle, _iowait, irq, softirq = map(int, Path("/proc/stat").read_text().split()[1:8])
    return (user + nice + system + irq + softirq) / TICKS


def stolen_seconds() -> float:
    """Time this virtual machine's cores were ready but the host ran something else."""
    return int(Path("/proc/stat").read_text().split()[8]) / TICKS


def written_to_disk_mib() -> float:
    """Data the kernel has written out of the page cache to disk so far, all files."""
    for line in Path("/proc/vmstat").read_text().splitlines():
        if line.startswith("nr_written "):
            return int(line.split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    return 0.0

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
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


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

"""Upload benchmark: a large artifact through the registry to an S3-compatible server,
next to a direct boto3 `upload_file` of the same file to the same endpoint, same run.

    .venv/bin/python benchmarks/upload_s3.py [--size-mb 1024] [--repeat 5] [--database-url URL] [--spool-dir DIR]

Starts moto's S3 server and the registry under gunicorn (1 worker, on a fresh PostgreSQL
database named by --database-url) on 127.0.0.1, uploads with curl (which streams the
file), and reads the worker's peak RSS from /proc.
Two registry rows: with the sha256 declared in the X-Artifact-SHA256 header (the bytes
stream on to S3 while they arrive; the client hashes the file first, timed separately)
and without (the registry receives, scans, then uploads).
Targets (issue 2): registry throughput >= 0.8 x direct boto3; RSS growth < 100 MiB.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import joblib
import numpy as np
from common import free_port, machine_busy_seconds, process_seconds, recreate_database, written_to_disk_mib
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MIB = 1024 * 1024


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if subprocess.run(["curl", "-s", "-o", "/dev/null", url], check=False).returncode == 0:
            return
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def big_model(path: Path, size_mb: int) -> None:
    """A real LogisticRegression whose coefficients weigh `size_mb`."""
    features = size_mb * MIB // 8
    model = LogisticRegression().fit(np.eye(2), [0, 1])
    model.coef_ = np.zeros((1, features))
    model.n_features_in_ = features
    joblib.dump(model, path)


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def worker_pid(master: int) -> int:
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def empty_buckets(s3) -> None:
    """Each measurement meets the same, empty server: moto slows as it fills up."""
    for bucket in ("bench", "direct"):
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])


def timed(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {result.stderr}")
    return elapsed, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=5)
    # PostgreSQL, as docker-compose runs the registry beside S3.
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/registry_upload_bench")
    # Where the registry spools uploads (FILE_UPLOAD_TEMP_DIR); by default a folder on the
    # disk, as deployed. moto spills its parts and objects to the same disk (2 GiB per
    # 1 GiB upload), so the kernel writes the registry's spool out too while the upload
    # runs; `--spool-dir /dev/shm` shows what that costs (the spool then sits in memory).
    parser.add_argument("--spool-dir", default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    procs = []
    try:
        run(args, work, procs)
    finally:
        for proc in procs:
            proc.terminate()
        shutil.rmtree(work, ignore_errors=True)


def run(args, work: Path, procs: list) -> None:
    s3_port, web_port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{s3_port}"
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SECRET_KEY": "bench-only",
        "DATABASE_URL": args.database_url,
        "ARTIFACTS_URL": "s3://bench/registry",
        "AWS_S3_ENDPOINT_URL": endpoint,
        "FILE_UPLOAD_TEMP_DIR": args.spool_dir or str(work),
        "REGISTRY_MAX_UPLOAD_BYTES": str(4 * 1024 * MIB),
        "LOG_LEVEL": "WARNING",
        # The ONNX compile runs after the 201, in the background: off here, so that it
        # neither competes for the cores with the next upload nor reads deleted objects.
        "SERVING_ONNX": "false",
    }
    procs.append(
        subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    wait_for(endpoint)
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench"
    )
    s3.create_bucket(Bucket="bench")
    s3.create_bucket(Bucket="direct")

    recreate_database(args.database_url)
    manage = [str(BIN / "python"), str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    token = (
        subprocess.run(
            [
                *manage,
                "shell",
                "-c",
                "from django.contrib.auth.models import User, Group; from rest_framework.authtoken.models import Token;"
                "u=User.objects.create_user('bench'); u.groups.add(Group.objects.get(name='uploaders'));"
                "print(Token.objects.create(user=u).key)",
            ],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )  # the shell may print an auto-import notice first
    gunicorn = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "registry_site.wsgi",
            "--bind",
            f"127.0.0.1:{web_port}",
            "--workers",
            "1",
            "--timeout",
            "900",
        ],
        env=env,
        cwd=ROOT,
    )
    procs.append(gunicorn)
    wait_for(f"http://127.0.0.1:{web_port}/api/v1/models")
    worker = worker_pid(gunicorn.pid)

    path = work / "big.joblib"
    big_model(path, args.size_mb)
    size = path.stat().st_size
    print(f"artifact: {size / MIB:.0f} MiB joblib LogisticRegression; S3 server: moto on {endpoint}")
    print(f"registry spools to {env['FILE_UPLOAD_TEMP_DIR']}; database {args.database_url}")

    url = f"http://127.0.0.1:{web_port}/api/v1/models/big/versions"
    authorized = ["curl", "-sS", "-H", f"Authorization: Bearer {token}"]
    rss_cold = rss_kib(worker, "VmRSS")
    warm_up(work, authorized, url)
    rss_before = rss_kib(worker, "VmRSS")
    times: dict[str, list[float]] = {side: [] for side in (*SIDES, "hash", "receive")}
    peaks: dict[str, int] = {}
    cpu: dict[str, list[tuple[float, float, float]]] = {side: [] for side in SIDES}
    moto = procs[0].pid
    curl = [*authorized, "-F", f"file=@{path}"]
    for attempt in range(args.repeat):
        change_middle(path, attempt.to_bytes(8, "little") * 2)
        digest, hashing = client_sha256(path)
        times["hash"].append(hashing)
        # Rotate who goes first, so no side always meets a warmer server.
        for side in SIDES[attempt % 3 :] + SIDES[: attempt % 3]:
            reset_peak(worker)
            cpu_before = cpu_snapshot(moto, worker)
            if side == "direct":
                start = time.perf_counter()
                s3.upload_file(str(path), "direct", f"copy-{attempt}")
                times[side].append(time.perf_counter() - start)
            else:
                declare = ["-H", f"X-Artifact-SHA256: {digest}"] if side == "declared" else []
                elapsed, body = timed(curl + declare + [url])
                times[side].append(elapsed)
                assert '"version"' in body, body
            peaks[side] = max(peaks.get(side, 0), rss_kib(worker, "VmHWM"))
            cpu[side].append(tuple(b - a for a, b in zip(cpu_before, cpu_snapshot(moto, worker), strict=True)))
            empty_buckets(s3)
        # The same body refused after it was received and parsed (declared format
        # mismatch): what receiving alone costs, to explain the gap to direct boto3.
        elapsed, body = timed(curl + ["-F", "format=skops", url])
        times["receive"].append(elapsed)
        assert "format" in body, body
    print(f"worker RSS cold / after warm-up   : {rss_cold / 1024:8.1f} / {rss_before / 1024:.1f} MiB")
    report(args, size, rss_before, times, peaks)
    report_cpu(times, cpu)


SIDES = ("direct", "declared", "undeclared")


def warm_up(work: Path, authorized: list[str], url: str) -> None:
    """One small upload each way first, so that the peaks below are what a large upload
    costs a worker that has served uploads before, not its first S3 client and imports."""
    path = work / "small.joblib"
    big_model(path, 20)  # a few whole 8 MiB parts
    for declared in (True, False):
        change_middle(path, os.urandom(16))
        declare = ["-H", f"X-Artifact-SHA256: {client_sha256(path)[0]}"] if declared else []
        _, body = timed([*authorized, "-F", f"file=@{path}", *declare, url])
        assert '"version"' in body, body


def change_middle(path: Path, marker: bytes) -> None:
    """New bytes in the middle of the coefficients: new content, so the registry stores
    it again instead of finding it already there."""
    with open(path, "r+b") as fh:
        fh.seek(path.stat().st_size // 2)
        fh.write(marker)


def client_sha256(path: Path) -> tuple[str, float]:
    """What a client pays to declare the digest: hashing the file before sending it."""
    start = time.perf_counter()
    hasher = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(MIB):
            hasher.update(chunk)
    return hasher.hexdigest(), time.perf_counter() - start


def cpu_snapshot(moto: int, worker: int) -> tuple[float, float, float, float, float]:
    """CPU seconds so far of the S3 server, the registry worker, the client (this process
    for direct boto3, plus its finished children: curl) and the whole machine, kernel
    threads such as page-cache writeback included; then MiB written to disk so far."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = time.process_time() + children.ru_utime + children.ru_stime
    return process_seconds(moto), process_seconds(worker), client, machine_busy_seconds(), written_to_disk_mib()


def reset_peak(pid: int) -> None:
    """Reset the worker's VmHWM (Linux: 5 > clear_refs), so each row reports its own peak."""
    # Where that is refused, each peak is the run's peak so far: an overestimate, never less.
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def report(args, size: int, rss_before: int, times: dict, peaks: dict) -> None:
    best = {side: min(values) for side, values in times.items()}
    mib = size / MIB
    direct = mib / best["direct"]
    declared = mib / best["declared"]
    declared_with_hash = mib / (best["declared"] + best["hash"])
    undeclared = mib / best["undeclared"]
    of = f"best of {args.repeat}"
    print(f"direct boto3 upload_file          : {direct:8.1f} MiB/s  ({of}: {best['direct']:.2f} s)")
    print(f"client sha256 of the file         : {mib / best['hash']:8.1f} MiB/s  ({of}: {best['hash']:.2f} s)")
    print(f"registry, sha256 declared (curl)  : {declared:8.1f} MiB/s  ({of}: {best['declared']:.2f} s)")
    print(f"registry, no sha256 (curl -F)     : {undeclared:8.1f} MiB/s  ({of}: {best['undeclared']:.2f} s)")
    print(f"ratio declared / direct           : {declared / direct:8.2f}   (client's hashing excluded; target >= 0.80)")
    print(f"ratio declared+hashing / direct   : {declared_with_hash / direct:8.2f}   (client's hashing included)")
    print(f"ratio undeclared / direct         : {undeclared / direct:8.2f}")
    for side in ("declared", "undeclared"):  # each attempt against the direct upload of the same attempt
        paired = [d / r for d, r in zip(times["direct"], times[side], strict=True)]
        listed = " ".join(f"{ratio:.2f}" for ratio in paired)
        print(f"  per attempt, {side:10}         : {listed}  (median {statistics.median(paired):.2f})")
    for side in SIDES:
        print(f"  seconds per attempt, {side:10} : {' '.join(f'{t:.2f}' for t in times[side])}")
    print(f"of which receiving+parse          : {best['receive']:8.2f} s  ({mib / best['receive']:.0f} MiB/s)")
    for side in ("declared", "undeclared"):
        growth = (peaks[side] - rss_before) / 1024
        print(f"worker peak RSS growth, {side:10}: {growth:8.1f} MiB (target < 100)")


def report_cpu(times: dict, cpu: dict) -> None:
    """CPU seconds each side cost, in its fastest attempt. On a busy machine the wall times
    above mostly measure the other tenants; these show what each side needs, and whether
    the registry's work fits beside the S3 server's on a second core."""
    for side in SIDES:
        fastest = times[side].index(min(times[side]))
        moto, worker, client, machine, written = cpu[side][fastest]
        busy = machine / times[side][fastest] / os.cpu_count()
        print(
            f"CPU s, {side:10} : S3 server {moto:6.2f}  registry worker {worker:6.2f}  client {client:6.2f}"
            f"  machine {machine:6.2f} ({busy:.0%} busy); {written:5.0f} MiB written to disk"
        )


if __name__ == "__main__":
    main()

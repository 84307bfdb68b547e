"""Upload benchmark: a large artifact through the registry to an S3-compatible server,
next to a direct boto3 `upload_file` of the same file to the same endpoint, same run.

    .venv/bin/python benchmarks/upload_s3.py [--size-mb 1024] [--repeat 2]

Starts moto's S3 server and the registry under gunicorn (1 worker) on 127.0.0.1, uploads
with curl (which streams the file), and reads the worker's peak RSS from /proc.
Targets (issue 2): registry throughput >= 0.8 x direct boto3; RSS growth < 100 MiB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MIB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    parser.add_argument("--repeat", type=int, default=2)
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
        "DATABASE_URL": f"sqlite:///{work}/bench.sqlite3",
        "ARTIFACTS_URL": "s3://bench/registry",
        "AWS_S3_ENDPOINT_URL": endpoint,
        "FILE_UPLOAD_TEMP_DIR": str(work),
        "REGISTRY_MAX_UPLOAD_BYTES": str(4 * 1024 * MIB),
        "LOG_LEVEL": "WARNING",
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

    rss_before = rss_kib(worker, "VmRSS")
    direct_times, registry_times, receive_times = [], [], []
    url = f"http://127.0.0.1:{web_port}/api/v1/models/big/versions"
    curl = ["curl", "-sS", "-H", f"Authorization: Bearer {token}", "-F", f"file=@{path}"]
    for attempt in range(args.repeat):
        # New bytes in the middle of the coefficients: new content, so the registry stores it again.
        with open(path, "r+b") as fh:
            fh.seek(size // 2)
            fh.write(attempt.to_bytes(8, "little") * 2)
        # Alternate who goes first, so neither side always meets a warmer server.
        for side in ("direct", "registry") if attempt % 2 == 0 else ("registry", "direct"):
            if side == "direct":
                start = time.perf_counter()
                s3.upload_file(str(path), "direct", f"copy-{attempt}")
                direct_times.append(time.perf_counter() - start)
            else:
                elapsed, body = timed(curl + [url])
                registry_times.append(elapsed)
                assert '"version"' in body, body
            empty_buckets(s3)
        # The same body refused after it was received and parsed (declared format
        # mismatch): what receiving alone costs, to explain the gap to direct boto3.
        elapsed, body = timed(curl + ["-F", "format=skops", url])
        receive_times.append(elapsed)
        assert "format" in body, body
    peak = rss_kib(worker, "VmHWM")

    direct = size / MIB / min(direct_times)
    registry = size / MIB / min(registry_times)
    growth = (peak - rss_before) / 1024
    print(f"direct boto3 upload_file : {direct:8.1f} MiB/s  (best of {args.repeat}: {min(direct_times):.2f} s)")
    print(f"registry upload (curl -F): {registry:8.1f} MiB/s  (best of {args.repeat}: {min(registry_times):.2f} s)")
    print(f"ratio registry / direct  : {registry / direct:8.2f}   (target >= 0.80)")
    print(f"of which receiving+parse : {min(receive_times):8.2f} s  ({size / MIB / min(receive_times):.0f} MiB/s)")
    print(f"worker RSS before        : {rss_before / 1024:8.1f} MiB")
    print(f"worker peak RSS growth   : {growth:8.1f} MiB (target < 100)")


if __name__ == "__main__":
    main()

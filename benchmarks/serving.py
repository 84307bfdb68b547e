"""Serving benchmark: invocations under gunicorn, next to the in-process predict floor and,
with --with-mlflow, `mlflow models serve` on the same models with the same worker count.

    .venv/bin/python benchmarks/serving.py [--duration 10] [--workers N] [--threads 1] [--with-mlflow]
                                           [--models logistic-20 forest-100 ...]

Registers a 20-feature LogisticRegression and a 100-tree RandomForest (fit on a DataFrame
with named columns, as MLflow users do; `--models` adds a gradient boosting classifier, a
StandardScaler+LogisticRegression pipeline and a 100-tree RandomForestRegressor) in a
throwaway registry (SQLite + folder), starts gunicorn with one worker per core and a task
worker, waits for each version's ONNX compilation, and drives it with wrk (Debian package `wrk`) from a
separate process at concurrency 1 and 8 with 1-row and 100-row `dataframe_split` bodies,
through both runtimes side by side: ONNX Runtime (the default path, checked through the
X-Model-Runtime header) and scikit-learn (`"params": {"runtime": "sklearn"}`).
--with-mlflow creates (once) benchmarks/.mlflow-venv with full mlflow, never installed in
the project's own venv. Targets (issue 3): at concurrency 1, 1-row LogisticRegression p50
(scikit-learn path) within 1 ms of the in-process floor; at concurrency 8, at least 10x
MLflow's throughput. Target (issue 7): 1-row RandomForest throughput at concurrency 8
through ONNX at least 20x the scikit-learn path's.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import joblib
import orjson
import pandas as pd
import requests
from common import free_port
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MLFLOW_VENV = ROOT / "benchmarks" / ".mlflow-venv"
MLFLOW_VERSION = "3.17.2"
FEATURES = 20
ROW_COUNTS = (1, 100)
CONCURRENCIES = (1, 8)
RUNTIMES = ("onnx", "sklearn")
DEFAULT_MODELS = ("logistic-20", "forest-100")


@dataclass
class Load:
    """What wrk measured for one cell."""

    rps: float
    p50_ms: float
    p99_ms: float


# --- processes -----------------------------------------------------------------------------


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=5).status_code == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


def started(command: list[str], url: str, log: Path, seconds: float = 120, **options) -> subprocess.Popen:
    """A server process, once `url` answers 200; its output goes to `log`."""
    with open(log, "ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **options)
    try:
        wait_for(url, seconds)
    except BaseException:
        stop([process])
        raise
    return process


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)


# --- models ----------------------------------------------------------------------------------


MODELS = {
    "logistic-20": lambda: LogisticRegression(max_iter=1000),
    "forest-100": lambda: RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1),
    "boosting-100": lambda: GradientBoostingClassifier(n_estimators=100, random_state=0),
    "scaled-logistic-20": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
    "forest-regressor-100": lambda: RandomForestRegressor(n_estimators=100, random_state=0, n_jobs=1),
}


def train(names: list[str]) -> tuple[dict[str, object], pd.DataFrame]:
    X, y = make_classification(n_samples=2000, n_features=FEATURES, n_informative=8, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(FEATURES)])
    target = {"forest-regressor-100": frame["f0"] * 3 + frame["f1"] ** 2}  # a regressor's target
    return {name: MODELS[name]().fit(frame, target.get(name, y)) for name in names}, frame


def body(frame: pd.DataFrame, rows: int, runtime: str = "onnx") -> bytes:
    payload = {"dataframe_split": frame.head(rows).to_dict(orient="split", index=False)}
    if runtime == "sklearn":
        payload["params"] = {"runtime": "sklearn"}
    return orjson.dumps(payload)


def floor_ms(model, frame: pd.DataFrame, rows: int) -> float:
    """Median in-process `predict` on a plain array of the same rows: what serving calls."""
    X = frame.head(rows).to_numpy()
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fit with names, given an array: serving does the same
        deadline = time.perf_counter() + 1.0
        while time.perf_counter() < deadline or len(times) < 20:
            start = time.perf_counter()
            model.predict(X)
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


# --- load ------------------------------------------------------------------------------------

LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
{auth}
local f = io.open("{path}", "rb"); wrk.body = f:read("*a"); f:close()
"""
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def drive(
    url: str, payload: bytes, concurrency: int, seconds: int, work: Path, token: str = "", headers: dict | None = None
) -> Load:
    """wrk at `concurrency` open connections for `seconds`, after a short warm-up; `headers`
    are sent besides (and may replace) Content-Type and Authorization."""
    (work / "body.json").write_bytes(payload)
    sent = {"Authorization": f"Token {token}"} if token else {}
    auth = "\n".join(f'wrk.headers["{name}"] = "{value}"' for name, value in {**sent, **(headers or {})}.items())
    script = work / "post.lua"
    script.write_text(LUA.format(auth=auth, path=work / "body.json"))
    threads = str(min(concurrency, 2))
    common = ["wrk", "-t", threads, "-c", str(concurrency), "-s", str(script), "--latency"]
    # Warm up on many connections, so that every worker has loaded the model before timing.
    warm = ["wrk", "-t", "2", "-c", "16", "-s", str(script), "-d", "2s", url]
    subprocess.run(warm, capture_output=True, check=True)
    out = subprocess.run([*common, "-d", f"{seconds}s", url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"errors from {url}:\n{out}")
    return Load(float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]), _percentile(out, "50"), _percentile(out, "99"))


def _percentile(out: str, which: str) -> float:
    value, unit = re.search(rf"^\s+{which}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    return float(value) * UNITS[unit]


# --- our server ------------------------------------------------------------------------------


def registry_env(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SECRET_KEY": "bench-only",
        "DATABASE_URL": f"sqlite:///{work}/bench.sqlite3",
        "ARTIFACTS_URL": (work / "artifacts").as_uri(),
        "LOG_LEVEL": "WARNING",
    }


def make_token(env: dict[str, str]) -> str:
    manage = [str(BIN / "python"), str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    code = (
        "from django.contrib.auth.models import User, Group; from rest_framework.authtoken.models import Token;"
        "u=User.objects.create_user('bench'); u.groups.add(*Group.objects.filter(name__in=['uploaders','viewers']));"
        "print(Token.objects.create(user=u).key)"
    )
    done = subprocess.run([*manage, "shell", "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]  # the shell may print an auto-import notice first


def start_registry(args, env: dict[str, str], port: int, work: Path) -> subprocess.Popen:
    command = [str(BIN / "gunicorn"), "registry_site.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(args.workers), "--worker-class", "gthread", "--threads", str(args.threads)]
    command += ["--keep-alive", "75", "--log-level", "warning"]
    return started(command, f"http://127.0.0.1:{port}/ping", work / "gunicorn.log", env=env, cwd=ROOT)


def register(port: int, token: str, name: str, model) -> None:
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    response = requests.post(
        f"http://127.0.0.1:{port}/api/v1/models/{name}/versions",
        headers={"Authorization": f"Token {token}"},
        files={"file": ("model.joblib", buffer.getvalue())},
        timeout=120,
    )
    response.raise_for_status()


def compiled(port: int, token: str, name: str, seconds: float = 300) -> dict:
    """The version's ONNX record, once its background compilation has finished."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        response = requests.get(
            f"http://127.0.0.1:{port}/api/v1/models/{name}/versions/1",
            headers={"Authorization": f"Token {token}"},
            timeout=30,
        )
        onnx = response.json()["onnx"]
        if onnx["status"] != "pending":
            return onnx
        time.sleep(0.5)
    raise SystemExit(f"{name}: the ONNX compilation did not finish in {seconds} s")


def answered_by(port: int, token: str, name: str, payload: bytes) -> str:
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    url = f"http://127.0.0.1:{port}/model/{name}/invocations"
    response = requests.post(url, data=payload, headers=headers, timeout=30)
    response.raise_for_status()
    return response.headers["X-Model-Runtime"]


# --- MLflow ----------------------------------------------------------------------------------


def mlflow_bin(version: str) -> Path:
    """`mlflow` from benchmarks/.mlflow-venv, created on first use (later runs reuse it)."""
    executable = MLFLOW_VENV / "bin" / "mlflow"
    if not executable.exists():
        sklearn_pin = next(
            line for line in (ROOT / "requirements.txt").read_text().splitlines() if "scikit-learn" in line
        )
        subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
        pip = [str(MLFLOW_VENV / "bin" / "pip"), "install", "-q"]
        subprocess.run([*pip, f"mlflow=={version}", sklearn_pin], check=True)
    return executable


def save_for_mlflow(model, frame: pd.DataFrame, directory: Path) -> None:
    import mlflow.sklearn
    from mlflow.models import infer_signature

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow.sklearn.save_model(
            model,
            str(directory),
            serialization_format="cloudpickle",
            signature=infer_signature(frame, model.predict(frame)),
            pip_requirements=["scikit-learn"],
        )


def start_mlflow(args, directory: Path, port: int, work: Path) -> subprocess.Popen:
    command = [
        str(mlflow_bin(args.mlflow_version)),
        "models",
        "serve",
        "-m",
        str(directory),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    command += ["-w", str(args.workers), "--env-manager", "local"]
    env = {
        **os.environ,
        "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true",
        "PATH": f"{MLFLOW_VENV / 'bin'}:{os.environ['PATH']}",
    }
    return started(command, f"http://127.0.0.1:{port}/ping", work / "mlflow.log", seconds=300, env=env)


# --- the run ---------------------------------------------------------------------------------


@contextlib.contextmanager
def registry_serving(args, work: Path, models: dict) -> Iterator[tuple[int, str, dict]]:
    """A registry server with `models` registered and compiled: (port, token, each model's
    ONNX record); stopped on exit."""
    env = registry_env(work)
    token = make_token(env)
    port = free_port()
    server = start_registry(args, env, port, work)
    # The ONNX compiles run in a task worker, as beside `dev.py run` and in docker compose.
    worker = [str(BIN / "python"), "manage.py", "db_worker", "--no-reload"]
    tasks = subprocess.Popen(
        worker, stdout=(work / "worker.log").open("wb"), stderr=subprocess.STDOUT, env=env, cwd=ROOT
    )
    try:
        for name, model in models.items():
            register(port, token, name, model)
        yield port, token, {name: compiled(port, token, name) for name in models}
    finally:
        stop([server, tasks])


def measure_registry(args, work: Path, models: dict, frame: pd.DataFrame) -> tuple[dict, dict]:
    """(wrk's figures by (model, rows, concurrency, runtime), each model's ONNX record)."""
    with registry_serving(args, work, models) as (port, token, records):
        results = {}
        for name in models:
            for runtime in RUNTIMES:
                if answered_by(port, token, name, body(frame, 1, runtime)) != runtime:
                    print(f"{name}: not answered by {runtime} ({records[name]['status']}: {records[name]['reason']})")
                    continue
                for rows in ROW_COUNTS:
                    for c in CONCURRENCIES:
                        url = f"http://127.0.0.1:{port}/model/{name}/invocations"
                        payload = body(frame, rows, runtime)
                        results[name, rows, c, runtime] = drive(url, payload, c, args.duration, work, token)
        return results, records


def measure_mlflow(args, work: Path, models: dict, frame: pd.DataFrame) -> dict:
    results = {}
    for name, model in models.items():
        directory = work / f"mlflow-{name}"
        save_for_mlflow(model, frame, directory)
        port = free_port()
        server = start_mlflow(args, directory, port, work)
        try:
            for rows in ROW_COUNTS:
                for c in CONCURRENCIES:
                    url = f"http://127.0.0.1:{port}/invocations"
                    results[name, rows, c] = drive(url, body(frame, rows), c, args.duration, work)
        finally:
            stop([server])
    return results


def report(args, ours: dict, floors: dict, theirs: dict, records: dict) -> None:
    setup = f"workers={args.workers} (gthread, threads={args.threads}), {args.duration} s per cell"
    print(f"\n{setup}, wrk from a separate process")
    for name, onnx in records.items():
        latency = onnx.get("latency_ms") or {}
        state = f"{onnx['status']} {onnx['reason']}".rstrip()
        print(f"{name}: ONNX {state}; measured at registration (ms): {latency}")
    header = "| model | rows | conc | onnx req/s | onnx p50 ms | onnx p99 ms | sklearn req/s | sklearn p50 ms |"
    header += " sklearn p99 ms | onnx/sklearn | sklearn floor ms |"
    if theirs:
        header += " mlflow req/s | mlflow p50 ms | onnx/mlflow | sklearn/mlflow |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name, rows, c in dict.fromkeys((n, r, c) for n, r, c, _ in ours):
        print(_row(ours, floors, theirs, name, rows, c))
    verdicts(ours, floors, theirs)


def _row(ours: dict, floors: dict, theirs: dict, name: str, rows: int, c: int) -> str:
    onnx, sk = ours.get((name, rows, c, "onnx")), ours.get((name, rows, c, "sklearn"))
    line = f"| {name} | {rows} | {c} | {_cells(onnx)} | {_cells(sk)} | {_ratio(onnx, sk)} | {floors[name, rows]:.3f} |"
    if theirs and (name, rows, c) in theirs:
        other = theirs[name, rows, c]
        line += f" {other.rps:.0f} | {other.p50_ms:.2f} | {_ratio(onnx, other)} | {_ratio(sk, other)} |"
    return line


def _cells(load: Load | None) -> str:
    return f"{load.rps:.0f} | {load.p50_ms:.2f} | {load.p99_ms:.2f}" if load else "- | - | -"


def _ratio(a: Load | None, b: Load | None) -> str:
    return f"{a.rps / b.rps:.1f}x" if a and b else "-"


def verdicts(ours: dict, floors: dict, theirs: dict) -> None:
    if ("logistic-20", 1, 1, "sklearn") in ours:
        gap = ours["logistic-20", 1, 1, "sklearn"].p50_ms - floors["logistic-20", 1]
        verdict = "met" if gap <= 1 else "MISSED"
        print(f"\ntarget 1: c=1, 1-row LogisticRegression p50 - floor = {gap:.2f} ms (<= 1 ms): {verdict}")
    if theirs:
        # The server's default runtime is ONNX where a version has an equivalent ONNX form;
        # the forced scikit-learn path is judged too, so that neither figure hides the other.
        for runtime in ("onnx", "sklearn"):
            ratios = [
                ours[key].rps / theirs[key[:3]].rps
                for key in ours
                if key[2] == 8 and key[3] == runtime and key[:3] in theirs
            ]
            if ratios:
                verdict = "met" if min(ratios) >= 10 else "MISSED"
                print(
                    f"target 2 ({runtime} runtime): c=8 throughput vs MLflow, "
                    f"lowest ratio {min(ratios):.1f}x (>= 10x): {verdict}"
                )
    else:
        print("target 2: run with --with-mlflow to compare with `mlflow models serve`")
    onnx, sk = ours.get(("forest-100", 1, 8, "onnx")), ours.get(("forest-100", 1, 8, "sklearn"))
    if onnx and sk:
        ratio = onnx.rps / sk.rps
        verdict = "met" if ratio >= 20 else "MISSED"
        print(f"target 3: c=8, 1-row RandomForest ONNX vs scikit-learn throughput {ratio:.1f}x (>= 20x): {verdict}")
    else:
        print("target 3: forest-100 was not measured through both runtimes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per cell (default 10)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="gunicorn/uvicorn workers (one per core)")
    parser.add_argument("--threads", type=int, default=1, help="gthread threads per worker (default 1)")
    parser.add_argument("--with-mlflow", action="store_true", help="also measure `mlflow models serve`")
    parser.add_argument("--mlflow-version", default=MLFLOW_VERSION, help=f"for a new venv (default {MLFLOW_VERSION})")
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(DEFAULT_MODELS), metavar="MODEL")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    models, frame = train(args.models)
    floors = {(name, rows): floor_ms(model, frame, rows) for name, model in models.items() for rows in ROW_COUNTS}
    work = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    try:
        ours, records = measure_registry(args, work, models, frame)
        theirs = measure_mlflow(args, work, models, frame) if args.with_mlflow else {}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(args, ours, floors, theirs, records)


if __name__ == "__main__":
    main()

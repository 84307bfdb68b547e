"""OIP benchmark: the Open Inference Protocol's infer (JSON tensors, and binary tensors as
tritonclient sends them by default) beside invocations, on one server, the same models,
rows and concurrency, in one run.

    .venv/bin/python benchmarks/oip.py [--duration 5] [--workers N] [--rows 1 100] [--concurrency 8]
                                       [--models logistic-20 forest-100]

Starts gunicorn and a task worker on a throwaway registry (SQLite + folder, as
benchmarks/serving.py does), registers each model, waits for its ONNX compilation, checks
that the three requests get the same predictions, then drives each with wrk (Debian
package `wrk`). Prints requests/s, rows/s and p50 per protocol, and OIP / invocations.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import requests
import tritonclient.http as triton

# benchmarks/serving.py (the script's folder comes first on sys.path), not the serving app.
from serving import (
    MODELS,
    Load,
    body,
    drive,
    registry_serving,
    train,
)

PROTOCOLS = ("invocations", "oip-json", "oip-binary")


def requests_for(port: int, name: str, frame: pd.DataFrame, rows: int) -> dict[str, tuple[str, bytes, dict]]:
    """(url, body, extra headers) of each protocol for the same rows."""
    matrix = frame.head(rows).to_numpy(dtype=np.float64)
    base = f"http://127.0.0.1:{port}"
    tensor = {"name": "input", "shape": list(matrix.shape), "datatype": "FP64", "data": matrix.ravel().tolist()}
    binary, header_length = _binary_body(matrix)
    return {
        "invocations": (f"{base}/model/{name}/invocations", body(frame, rows), {}),
        "oip-json": (f"{base}/v2/models/{name}/infer", orjson.dumps({"inputs": [tensor]}), {}),
        "oip-binary": (
            f"{base}/v2/models/{name}/infer",
            binary,
            {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(header_length)},
        ),
    }


def _binary_body(matrix: np.ndarray) -> tuple[bytes, int]:
    """The body tritonclient sends with its defaults (binary input, binary output)."""
    tensor = triton.InferInput("input", list(matrix.shape), "FP64")
    tensor.set_data_from_numpy(matrix, binary_data=True)
    output = triton.InferRequestedOutput("predict", binary_data=True)
    return triton.InferenceServerClient.generate_request_body([tensor], outputs=[output])


def predictions(url: str, payload: bytes, headers: dict, token: str) -> tuple[list, str]:
    """What one request predicts (decoded whatever the protocol) and the runtime that answered."""
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}", **headers}
    response = requests.post(url, data=payload, headers=headers, timeout=30)
    response.raise_for_status()
    runtime = response.headers["X-Model-Runtime"]
    if "/invocations" in url:
        return response.json()["predictions"], runtime
    length = int(response.headers.get("Inference-Header-Content-Length") or len(response.content))
    output = orjson.loads(response.content[:length])["outputs"][0]
    if "data" in output:
        return output["data"], runtime
    return np.frombuffer(response.content[length:], dtype=_DTYPES[output["datatype"]]).tolist(), runtime


_DTYPES = {"INT64": "<i8", "FP64": "<f8", "FP32": "<f4", "INT32": "<i4", "BOOL": "?"}


def measure(args, work: Path, models: dict, frame: pd.DataFrame) -> dict:
    with registry_serving(args, work, models) as (port, token, _records):
        results = {}
        for name in models:
            for rows in args.rows:
                cells = requests_for(port, name, frame, rows)
                answers = {protocol: predictions(*cell, token) for protocol, cell in cells.items()}
                if len({orjson.dumps(answer) for answer in answers.values()}) != 1:
                    raise SystemExit(f"{name}, {rows} rows: the protocols disagree: {answers}")
                for c in args.concurrency:
                    for protocol, (url, payload, headers) in cells.items():
                        load = drive(url, payload, c, args.duration, work, token, headers)
                        results[name, rows, c, protocol] = (load, answers[protocol][1])
        return results


def report(args, results: dict) -> None:
    print(f"\nworkers={args.workers} (gthread, threads={args.threads}), {args.duration} s per cell, wrk")
    print("| model | rows | conc | protocol | runtime | req/s | rows/s | p50 ms | p99 ms | vs invocations |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (name, rows, c, protocol), (load, runtime) in results.items():
        base: Load = results[name, rows, c, "invocations"][0]
        ratio = f"{load.rps / base.rps:.2f}x"
        cells = f"{load.rps:.0f} | {load.rps * rows:.0f} | {load.p50_ms:.2f} | {load.p99_ms:.2f}"
        print(f"| {name} | {rows} | {c} | {protocol} | {runtime} | {cells} | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per cell (default 5)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="gunicorn workers (one per core)")
    parser.add_argument("--threads", type=int, default=1, help="gthread threads per worker (default 1)")
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 100], help="rows per request (default 1 100)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8], help="open connections (default 8)")
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=["logistic-20"], metavar="MODEL")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    models, frame = train(args.models)
    work = Path(tempfile.mkdtemp(prefix="bench-oip-"))
    try:
        results = measure(args, work, models, frame)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(args, results)


if __name__ == "__main__":
    main()

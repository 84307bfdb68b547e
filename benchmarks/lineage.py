"""Lineage benchmark on PostgreSQL: ingestion over HTTP and the graph query.

    .venv/bin/python benchmarks/lineage.py [--events 100000] [--nodes 100000] [--workers 2]

1. Recreates the database named in --database-url, migrates it, makes an uploader token.
2. Starts the registry under gunicorn (--workers, gthread with --threads and keep-alive,
   as the README recommends) on 127.0.0.1, with one background worker (`manage.py
   db_worker`, which folds the events), and POSTs --events OpenLineage events (START +
   COMPLETE per run, one input and one output with a schema) from --clients producer
   processes, each opening a connection per --runs-per-connection runs, then waits until
   every event is folded into the graph: events/s from the first POST to the last event
   folded, CPU per event (web workers, the task worker, PostgreSQL, rest) and each web
   worker's share; every
   20 s, the same for the last 20 s.
3. Tops the graph up to --nodes datasets and jobs with the ORM (chains of --chain-length
   jobs, each also reading a lookup dataset shared by its chain).
   The end of each chain trained one version of one model (a run each, as the registry
   records them), so all versions share one training job.
4. Times `GET /api/v1/lineage` at depth 5 and 20 for datasets in the middle of chains,
   and at depth 20 for model versions (upstream through their own run, then by job),
   over HTTP through the same gunicorn: p50 and p99.

Targets (issue 4): >= 300 events/s with 2 workers; depth 20 under 100 ms p50.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import psycopg
import requests
from common import (
    free_port,
    machine_busy_seconds,
    process_seconds,
    processes_seconds,
    recreate_database,
    stolen_seconds,
)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="events to POST over HTTP")
    parser.add_argument("--nodes", type=int, default=100_000, help="datasets + jobs in the graph queried")
    parser.add_argument("--chain-length", type=int, default=100, help="jobs per synthetic chain")
    parser.add_argument(
        "--runs-per-job", type=int, default=10, help="runs of each ingested job (scheduled jobs repeat)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=2, help="threads per worker (gthread with keep-alive, as the README recommends)"
    )
    parser.add_argument("--clients", type=int, default=8, help="producer processes posting events")
    # A kept-alive connection stays with the worker that accepted it. 1 is a task per run,
    # as Airflow's are; a large value is a few long-lived producers, which could all land
    # on one worker (seen here) if gunicorn.conf.py did not close connections now and then.
    parser.add_argument(
        "--runs-per-connection",
        type=int,
        default=1,
        help="runs (START + COMPLETE) each producer posts over one connection before opening a new one",
    )
    parser.add_argument("--queries", type=int, default=200, help="graph queries per depth")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/registry_lineage_bench")
    return parser.parse_args()


def setup_django(url: str) -> None:
    os.environ.update(DATABASE_URL=url, SECRET_KEY="benchmark", LOG_LEVEL="WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_site.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def uploader_token() -> str:
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench-uploader")
    user.groups.add(Group.objects.get(name="uploaders"))
    return Token.objects.create(user=user).key


def start_server(url: str, workers: int, threads: int) -> tuple[subprocess.Popen, subprocess.Popen, str]:
    """gunicorn and one task worker, as `dev.py run` and docker compose run them."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "ALLOWED_HOSTS": "127.0.0.1", "DATABASE_CONN_MAX_AGE": "600"}
    command = [str(BIN / "gunicorn"), "registry_site.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    command += ["--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "75"]
    server = subprocess.Popen([*command, "--log-level", "warning"], cwd=ROOT, env=env)
    tasks = subprocess.Popen(
        [str(BIN / "python"), "manage.py", "db_worker", "--no-reload", "-v", "0"], cwd=ROOT, env=env
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(f"{base}/api/v1/namespaces", timeout=5)
            return server, tasks, base
        except requests.RequestException:
            time.sleep(0.1)
    server.terminate()
    tasks.terminate()
    raise SystemExit("gunicorn did not come up")


# --- ingestion ---------------------------------------------------------------------------


def run_events(chain: int, step: int, run: int = 0) -> list[dict]:
    """START and COMPLETE of run `run` of job `step` of `chain`: reads d<step>, writes d<step+1>."""
    run_id, namespace = str(uuid.uuid4()), f"s3://bench-http-{chain}"
    start = datetime(2024, 5, 1, tzinfo=UTC) + timedelta(hours=run)
    fields = [{"name": f"c{i}", "type": "BIGINT"} for i in range(8)]
    schema = {"schema": {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/x", "fields": fields}}
    base = {
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": run_id, "facets": {}},
        "job": {"namespace": "bench-http", "name": f"chain{chain}.step{step}", "facets": {}},
        "inputs": [{"namespace": namespace, "name": f"d{step}", "facets": {}}],
        "outputs": [{"namespace": namespace, "name": f"d{step + 1}", "facets": schema}],
    }
    return [
        {**base, "eventType": "START", "eventTime": start.isoformat()},
        {**base, "eventType": "COMPLETE", "eventTime": (start + timedelta(minutes=1)).isoformat()},
    ]


def post_share(args: tuple[str, str, int, list[tuple[int, int, int]]]) -> int:
    """One producer: POSTs its events one after another, opening a new connection every
    `runs_per_connection` runs (one: a task that posts its START and COMPLETE and ends,
    as an Airflow task does; many: a long-lived producer such as a Spark application).
    http.client rather than requests: the producers share this machine with the server,
    and requests spends several times more CPU per call, CPU a real deployment's
    producers would spend on their own machines."""
    base, token, runs_per_connection, runs = args
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    sent = 0
    for first in range(0, len(runs), runs_per_connection):
        connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=60)
        for chain, step, run in runs[first : first + runs_per_connection]:
            for event in run_events(chain, step, run):
                connection.request("POST", "/api/v1/lineage", body=json.dumps(event).encode(), headers=headers)
                response = connection.getresponse()
                body = response.read()
                if response.status != 201:
                    raise RuntimeError(f"{response.status}: {body[:200]!r}")
                sent += 1
        connection.close()
    return sent


def cpu_seconds(server: subprocess.Popen) -> float:
    """User + system CPU of the gunicorn workers so far (Linux /proc)."""
    return sum(worker_cpu_seconds(server).values())


def worker_cpu_seconds(server: subprocess.Popen) -> dict[int, float]:
    """User + system CPU of each gunicorn worker so far, by pid (Linux /proc)."""
    seconds = {}
    for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split():
        seconds[int(pid)] = process_seconds(int(pid))
    return seconds


def ingest(server: subprocess.Popen, tasks: subprocess.Popen, base: str, token: str, opts) -> float:
    """POST the events, then wait until the graph holds every one of them: events are
    folded after their 201 by the task worker (lineage.backlog), so the figure that counts
    is events per second until the last one is folded, not until the last 201."""
    jobs = max(1, opts.events // (2 * opts.runs_per_job))
    runs = [
        (j // opts.chain_length, j % opts.chain_length, i // jobs) for i in range(opts.events // 2) for j in [i % jobs]
    ]
    shares = [(base, token, opts.runs_per_connection, runs[i :: opts.clients]) for i in range(opts.clients)]
    per_worker, before = worker_cpu_seconds(server), read_counters(server, tasks)
    stop = threading.Event()
    threading.Thread(target=report_windows, args=(server, tasks, opts.database_url, stop), daemon=True).start()
    with ProcessPoolExecutor(opts.clients) as pool:
        sent = sum(pool.map(post_share, shares))
    answered = time.perf_counter() - before.clock
    backlog = wait_until_folded(opts.database_url)
    stop.set()
    elapsed, cpu, task_cpu, postgres, machine, stolen = read_counters(server, tasks).minus(before)
    print(f"posted {sent} events in {answered:.1f} s ({sent / answered:.0f} events/s answered 201)")
    print(f"all {sent} folded into the graph {elapsed:.1f} s after the first post: {sent / elapsed:.0f} events/s")
    print(f"(still to fold when the last 201 came: {backlog} events)")
    check_folded(opts.database_url, sent)
    # On a shared machine events/s says little; CPU per event in the web tier travels better.
    print(f"web workers used {1000 * cpu / sent:.1f} ms CPU per event ({sent / cpu:.0f} events per CPU-second)")
    print(f"the task worker (folding) used {1000 * task_cpu / sent:.1f} ms CPU per event")
    # A kept-alive connection stays with the worker that accepted it: a few long-lived
    # producers can leave a worker idle (README, "Performance").
    worker_shares = [after - per_worker.get(pid, 0.0) for pid, after in worker_cpu_seconds(server).items()]
    print("each worker's share of that CPU: " + " / ".join(f"{share / cpu:.0%}" for share in worker_shares))
    print(
        f"the whole machine used {1000 * machine / sent:.1f} ms CPU per event ({os.cpu_count()} cores): "
        f"PostgreSQL {1000 * postgres / sent:.1f} ms, the client processes and the rest "
        f"{1000 * (machine - cpu - task_cpu - postgres) / sent:.1f} ms"
    )
    # A shared host may not run this machine when it is ready: compare runs with this in mind.
    print(f"the host ran other machines for {stolen:.1f} s of the {os.cpu_count()} x {elapsed:.0f} s of core time")
    return sent / elapsed


class Counters(NamedTuple):
    """Clock and CPU seconds so far: web workers, the task worker, PostgreSQL, the whole
    machine, and the core time the host gave to other machines."""

    clock: float
    web: float
    tasks: float
    postgres: float
    machine: float
    stolen: float

    def minus(self, earlier: Counters) -> Counters:
        return Counters(*(now - then for now, then in zip(self, earlier, strict=True)))


def read_counters(server: subprocess.Popen, tasks: subprocess.Popen) -> Counters:
    return Counters(
        time.perf_counter(),
        cpu_seconds(server),
        process_seconds(tasks.pid),
        postgres_seconds(),
        machine_busy_seconds(),
        stolen_seconds(),
    )


def report_windows(server, tasks, url: str, stop: threading.Event, every: float = 20.0) -> None:
    """Every `every` seconds: events folded in that window and the CPU they cost, so a
    slowdown later in a run shows whether the work per event grew or the machine idled."""
    query = "SELECT (SELECT count(*) FROM lineage_lineageevent) - (SELECT count(*) FROM lineage_pendingfold)"
    with psycopg.connect(url, autocommit=True) as connection:
        folded_before, before = connection.execute(query).fetchone()[0], read_counters(server, tasks)
        while not stop.wait(every):
            folded_now, now = connection.execute(query).fetchone()[0], read_counters(server, tasks)
            folded, window = folded_now - folded_before, now.minus(before)
            per = 1000 / max(folded, 1)
            print(
                f"  window: {folded_now:6d} folded, {folded / window.clock:4.0f} events/s; ms CPU per event: "
                f"web {window.web * per:.1f}, tasks {window.tasks * per:.1f}, PostgreSQL {window.postgres * per:.1f}, "
                f"machine {window.machine * per:.1f}; busy {window.machine / window.clock / os.cpu_count():.0%}, "
                f"stolen {window.stolen:.1f} s",
                flush=True,
            )
            folded_before, before = folded_now, now


def wait_until_folded(url: str) -> int:
    """Events waiting to be folded now; returns once none is left (or one failed)."""
    query = "SELECT count(*) FILTER (WHERE error = ''), count(*) FILTER (WHERE error <> '') FROM lineage_pendingfold"
    with psycopg.connect(url, autocommit=True) as connection:
        waiting = first = connection.execute(query).fetchone()[0]
        while waiting:
            time.sleep(0.05)
            waiting, failed = connection.execute(query).fetchone()
            if failed:
                raise SystemExit(f"{failed} events could not be folded: see lineage_pendingfold.error")
    return first


def check_folded(url: str, sent: int) -> None:
    """Every run the benchmark sent is in the graph, completed: the folding was done."""
    with psycopg.connect(url, autocommit=True) as connection:
        runs = connection.execute("SELECT count(*) FROM lineage_run WHERE state = 'COMPLETED'").fetchone()[0]
    if runs != sent // 2:
        raise SystemExit(f"{runs} completed runs in the graph, expected {sent // 2}")
    print(f"checked: {runs} completed runs in the graph, one per START + COMPLETE pair")


def postgres_seconds() -> float:
    """User + system CPU of every postgres process so far (this machine's server)."""
    return processes_seconds("postgres")


# --- the synthetic graph -----------------------------------------------------------------


def top_up(nodes: int, chain_length: int) -> tuple[list[str], list[str]]:
    """Chains in namespace `bench` until datasets + jobs reach `nodes`, each chain's last
    dataset training one version of model `benchmodel`; returns the node ids of the
    datasets in the middle of each chain, and of the versions."""
    from lineage.models import Dataset, Direction, Job, JobIO, Namespace

    namespace = Namespace.objects.create(name="bench")
    ends = []
    have = Dataset.objects.count() + Job.objects.count()
    per_chain = 2 * chain_length + 2  # jobs, datasets d0..dL, and the chain's lookup
    chains = max(1, (nodes - have) // per_chain)
    for first in range(0, chains, 50):
        batch = range(first, min(first + 50, chains))
        datasets = Dataset.objects.bulk_create(
            [
                Dataset(namespace=namespace, name=f"chain{c}/{name}")
                for c in batch
                for name in [*(f"d{s}" for s in range(chain_length + 1)), "lookup"]
            ]
        )
        jobs = Job.objects.bulk_create(
            [Job(namespace=namespace, name=f"chain{c}.step{s}") for c in batch for s in range(chain_length)]
        )
        edges = []
        for i, _ in enumerate(batch):
            chain_sets = datasets[i * (chain_length + 2) : (i + 1) * (chain_length + 2)]
            ends.append(chain_sets[-2])
            for s, job in enumerate(jobs[i * chain_length : (i + 1) * chain_length]):
                edges += [
                    JobIO(job=job, dataset=chain_sets[s], direction=Direction.IN),
                    JobIO(job=job, dataset=chain_sets[-1], direction=Direction.IN),
                    JobIO(job=job, dataset=chain_sets[s + 1], direction=Direction.OUT),
                ]
        JobIO.objects.bulk_create(edges)
    versions = train_versions(ends)
    total = Dataset.objects.count() + Job.objects.count()
    print(f"graph: {total} datasets and jobs, {JobIO.objects.count()} edges ({chains} synthetic chains)")
    return [f"dataset:bench:chain{c}/d{chain_length // 2}" for c in range(chains)], versions


def train_versions(ends: list) -> list[str]:
    """One job, `train.benchmodel`, whose run number c read the end of chain c and wrote
    version c: a version's graph goes upstream through its own run's input only."""
    from django.utils import timezone

    from lineage.models import Dataset, Direction, Job, JobIO, Namespace, Run, RunIO

    models = Namespace.objects.create(name="benchmodel")
    job = Job.objects.create(
        namespace=Namespace.objects.get_or_create(name="model-registry")[0], name="train.benchmodel"
    )
    versions = Dataset.objects.bulk_create(
        [Dataset(namespace=models, name=str(c + 1), type="MODEL") for c in range(len(ends))]
    )
    now = timezone.now()
    runs = Run.objects.bulk_create(
        [Run(uuid=uuid.uuid4(), job=job, state="COMPLETED", first_event_time=now) for _ in ends]
    )
    RunIO.objects.bulk_create(
        [RunIO(run=run, dataset=end, direction=Direction.IN) for run, end in zip(runs, ends, strict=True)]
        + [
            RunIO(run=run, dataset=version, direction=Direction.OUT)
            for run, version in zip(runs, versions, strict=True)
        ]
    )
    JobIO.objects.bulk_create(
        [JobIO(job=job, dataset=end, direction=Direction.IN) for end in ends]
        + [JobIO(job=job, dataset=version, direction=Direction.OUT) for version in versions]
    )
    return [f"model:benchmodel:{c + 1}" for c in range(len(ends))]


def analyze(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("ANALYZE")


def time_queries(base: str, token: str, middles: list[str], depth: int, queries: int, what: str = "datasets") -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    sample = [random.choice(middles) for _ in range(queries)]
    timings, sizes = [], set()
    for node in sample:
        started = time.perf_counter()
        response = session.get(f"{base}/api/v1/lineage", params={"nodeId": node, "depth": depth}, timeout=60)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        sizes.add(len(response.json()["graph"]))
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(
        f"GET /api/v1/lineage depth={depth:>2} ({what}): p50 {statistics.median(timings):6.1f} ms, "
        f"p99 {p99:6.1f} ms over {queries} queries ({'/'.join(map(str, sorted(sizes)))} nodes each)"
    )


def main() -> None:
    opts = options()
    recreate_database(opts.database_url)
    setup_django(opts.database_url)
    token = uploader_token()
    server, tasks, base = start_server(opts.database_url, opts.workers, opts.threads)
    try:
        ingest(server, tasks, base, token, opts)
        middles, versions = top_up(opts.nodes, opts.chain_length)
        analyze(opts.database_url)
        for depth in (5, 20):
            time_queries(base, token, middles, depth, opts.queries)
        time_queries(base, token, versions, 20, opts.queries, what="model versions")
    finally:
        for process in (server, tasks):
            process.terminate()
            process.wait(timeout=30)
    print("targets: >= 300 events/s with 2 workers; depth 20 p50 < 100 ms")


if __name__ == "__main__":
    main()

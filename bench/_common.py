"""Shared by the benchmarks: a PostgreSQL database and a Redis db of their own, live processes (Daphne, Celery),
timing, percentiles and the results table."""

import json
import os
import platform
import resource
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/perch_bench"
# The machine's Redis, a db number of the benchmarks' own: they flush it (and only it) at start.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"

# Production-like: DEBUG off (no query log in memory), plain HTTP on loopback. The same values reach the Daphne and
# Celery processes the benchmarks start, so tokens encrypted here decrypt there.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "workspace.settings",
    "DATABASE_URL": DEFAULT_DATABASE_URL,
    "REDIS_URL": DEFAULT_REDIS_URL,
    "DEBUG": "false",
    "SECRET_KEY": "perch-bench-only-secret-key-not-for-production-0123456789",
    "FIELD_ENCRYPTION_KEY": "perch-bench-only-field-key",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "X_SANDBOX_ENABLED": "true",
    "X_SANDBOX_RATE_LIMIT_MULTIPLIER": "100000",  # budgets out of the way: the benchmarks measure Perch
    "LOG_LEVEL": "WARNING",
}


def setup_django() -> None:
    """Points Django at the benchmark database (created and migrated when missing) and sets it up."""
    for key, value in BENCH_ENV.items():
        os.environ.setdefault(key, value)
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        import psycopg

        admin_url, name = url.rsplit("/", 1)
        with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def child_env(**extra) -> dict:
    """The environment of a process a benchmark starts: the same database, Redis and keys as this one."""
    env = {**os.environ, **{key: os.environ.get(key, value) for key, value in BENCH_ENV.items()}, **extra}
    env.setdefault("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    return env


def flush_redis() -> None:
    """Empties the benchmarks' own Redis db (never another one): budgets, sequence numbers, stale tasks."""
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


def quiet_queue() -> None:
    """Earlier runs (ingest) leave thousands of queued interactions and Ready agents in the benchmark database:
    close them, so routing in this run only sees what this run made."""
    from interactions.models import Interaction, InteractionState, Offer
    from workspace.agents.models import ChannelPresence

    open_states = [InteractionState.QUEUED, InteractionState.OFFERED, InteractionState.ACTIVE, InteractionState.ENDED]
    Interaction.objects.filter(state__in=open_states).update(state=InteractionState.DONE)
    Offer.objects.filter(state=Offer.State.OFFERED).update(state=Offer.State.EXPIRED)
    ChannelPresence.objects.filter(ready=True).update(ready=False)


def raise_fd_limit(wanted: int = 8192) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(max(soft, wanted), hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[2]} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


@contextmanager
def daphne(**env):
    """Perch served by one Daphne process on loopback; yields (base URL, its Popen)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "-v", "0", "workspace.asgi:application"],
        env=child_env(**env),
        preexec_fn=lambda: raise_fd_limit(8192),
    )
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}", process
    finally:
        stop(process)


@contextmanager
def celery_workers(count: int = 1, concurrency: int = 1):
    """`count` real Celery worker processes (prefork, `concurrency` children each) on the benchmark broker."""
    from workspace.celery import app

    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workspace",
                "worker",
                f"--concurrency={concurrency}",
                "--loglevel=WARNING",
                "--hostname",
                f"bench-{os.getpid()}-{i}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
            env=child_env(),
        )  # fmt: skip
        for i in range(count)
    ]
    try:
        deadline = time.monotonic() + 90
        while len(app.control.ping(timeout=0.5) or []) < count:
            if any(p.poll() is not None for p in processes):
                raise RuntimeError("a Celery worker exited")
            if time.monotonic() > deadline:
                raise RuntimeError("the Celery workers did not answer within 90 s")
        yield processes
    finally:
        for process in processes:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def session_cookie(user) -> str:
    """A signed-in session for `user`, as a browser holds it after logging in."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@contextmanager
def timer():
    box = {}
    start = time.perf_counter()
    yield box
    box["seconds"] = time.perf_counter() - start


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (values in any order)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def spread(values_s: list[float]) -> dict:
    """p50/p95/p99/max in milliseconds."""
    return {f"p{p}_ms": round(percentile(values_s, p) * 1000, 2) for p in (50, 95, 99)} | {
        "max_ms": round(max(values_s) * 1000, 2) if values_s else None,
        "n": len(values_s),
    }


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(c) for c in headers]] + [[f"{c:,.2f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(name: str, line: str, figures: dict, rows: tuple[list[str], list[list]] | None = None) -> None:
    """Prints the table and the ratio line and writes bench/results/<name>.json."""
    RESULTS.mkdir(exist_ok=True)
    figures = {"benchmark": name, "line": line, "machine": platform.node(), "cpus": os.cpu_count(),
               "load_average": os.getloadavg(), **figures}  # fmt: skip
    if rows:
        figures["table"] = {"headers": rows[0], "rows": rows[1]}
        print(table(*rows))
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")
    print(line)


def profiler_if_asked():
    """PERCH_BENCH_PROFILE=1: a running pyinstrument profiler (for a missed target), else None."""
    if os.environ.get("PERCH_BENCH_PROFILE") != "1":
        return None
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    return profiler


def save_profile(profiler, name: str) -> None:
    """Writes what the profiler saw to bench/results/<name>.pyinstrument.txt (no-op without one)."""
    if profiler is None:
        return
    profiler.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.pyinstrument.txt").write_text(profiler.output_text(unicode=True, show_all=False))
    print(f"  profile: bench/results/{name}.pyinstrument.txt")

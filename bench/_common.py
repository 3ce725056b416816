"""Shared by the benchmarks: a PostgreSQL database of their own, timing, and the results table."""

import json
import os
import platform
import time
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/perch_bench"


def setup_django() -> None:
    """Points Django at the benchmark database (created and migrated when missing) and sets it up."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    # Ingest hands new work to routing through the broker, as in production: the machine's Redis, a spare db.
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
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


@contextmanager
def timer():
    box = {}
    start = time.perf_counter()
    yield box
    box["seconds"] = time.perf_counter() - start


def report(name: str, line: str, figures: dict) -> None:
    """Prints the ratio line and writes bench/results/<name>.json."""
    RESULTS.mkdir(exist_ok=True)
    figures = {"benchmark": name, "line": line, "machine": platform.node(), "cpus": os.cpu_count(), **figures}
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")
    print(line)

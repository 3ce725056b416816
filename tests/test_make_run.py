"""`make run`'s process set (the Procfile under honcho) on embedded defaults: up, serving, a process that dies started
again while the others keep serving, and all of it gone on Ctrl-C."""

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


def descendants(pid: int) -> dict[int, str]:
    """Every live process below pid, with its command line."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, todo = {}, [pid]
    while todo:
        parent = todo.pop()
        for child in [p for p, pp in parents.items() if pp == parent]:
            try:
                found[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            except OSError:
                continue
            todo.append(child)
    return found


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text())
    except (OSError, ValueError):  # not written yet, or half written
        return None


def in_groups(groups: set[int]) -> dict[int, str]:
    """Live processes of these process groups, orphans included, with their command lines."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[2]) in groups:
                found[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
    return found


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.25)
    return value


class Stack:
    """`make run` without make: migrate, seed, then honcho on the Procfile, in a var/ and on a port of its own."""

    def __init__(self, var_dir: Path):
        self.var_dir, self.port, self.smtp_port = var_dir, free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # What a person typing `make run` has: no database or Redis configured, no test-only variables.
        dropped = ("DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
        self.env = {k: v for k, v in os.environ.items() if k not in dropped}
        self.env.update(PERCH_VAR_DIR=str(var_dir), PERCH_PORT=str(self.port), PATH=f"{BIN}:{self.env['PATH']}",
                        CELERY_CONCURRENCY="1", PERCH_SMTP_PORT=str(self.smtp_port))  # fmt: skip
        self.honcho, self.output = None, ""

    def start(self) -> None:
        for step in (["migrate", "-v0"], ["seed_demo"]):
            subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=self.env, check=True,
                           capture_output=True)  # fmt: skip
        self.honcho = subprocess.Popen(
            [sys.executable, "-m", "honcho", "start"], cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def health(self) -> requests.Response | None:
        try:
            return requests.get(f"{self.base}/healthz", timeout=10)
        except requests.RequestException:  # not listening yet, or still warming up
            return None

    def wait_healthy(self, seconds: float, what: str = "Perch healthy") -> dict:
        def healthy():
            assert self.honcho.poll() is None, "honcho stopped the stack"
            response = self.health()
            return response is not None and response.status_code == 200 and response.json()

        return wait_for(healthy, seconds, what)

    def processes(self) -> dict[int, str]:
        return descendants(self.honcho.pid)

    def process_groups(self) -> set[int]:
        """honcho starts each Procfile line in a process group of its own; whatever a line starts stays in it."""
        groups = set()
        for pid in self.processes():
            try:
                groups.add(os.getpgid(pid))
            except ProcessLookupError:  # ended meanwhile
                pass
        return groups - {self.honcho.pid}

    def ctrl_c(self) -> None:
        os.killpg(self.honcho.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        self.output = self.honcho.communicate(timeout=60)[0].decode(errors="replace")


@pytest.fixture
def stack(tmp_path):
    stack = Stack(tmp_path)
    stack.start()
    yield stack
    if stack.honcho.poll() is None:
        stack.ctrl_c()


def test_procfile_serves_workspace_and_admin_and_stops_cleanly_on_ctrl_c(stack, tmp_path):
    base = stack.base
    try:
        stack.wait_healthy(120, "Perch healthy within 2 minutes")

        session = requests.Session()
        login_page = session.get(f"{base}/workspace/")
        assert login_page.url.startswith(f"{base}/accounts/login/")
        response = session.post(
            f"{base}/accounts/login/",
            data={
                "username": "ana",
                "password": "perch-demo",
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": login_page.url},
        )
        assert response.url == f"{base}/workspace/" and "My interactions" in response.text
        admin = requests.get(f"{base}/admin/login/")
        assert admin.status_code == 200 and "Perch supervisor" in admin.text
        # The demo's promise: a customer DMs the brand in the simulator, a queued interaction shows in the admin
        # within 15 s, without touching a shell (beat → worker → poll of the sandbox → ingest).
        simulator = f"{base}/x-sandbox/simulator/api"
        dm = {"sender_id": "1790000000000000101", "recipient_id": "1790000000000000001", "text": "Hello from the sim"}
        requests.post(f"{simulator}/dm", json=dm, timeout=10).raise_for_status()
        supervisor = requests.Session()
        login = supervisor.get(f"{base}/admin/login/")
        supervisor.post(login.url, data={"username": "supervisor", "password": "perch-demo", "next": "/admin/",
                                         "csrfmiddlewaretoken": supervisor.cookies["csrftoken"]},
                        headers={"Referer": login.url})  # fmt: skip
        deadline, queued = time.monotonic() + 15, ""
        while time.monotonic() < deadline and "Maya Patel" not in queued:
            queued = supervisor.get(f"{base}/admin/interactions/interaction/?state__exact=queued").text
            time.sleep(0.5)
        assert "Maya Patel" in queued, "the simulator's DM did not show as a queued interaction within 15 s"
        # The demo's SMTP server (`smtp`) takes an email, and the simulator's Mailbox shows it.
        wait_for(lambda: smtp_send(stack.smtp_port, "lucia@example.com", "Your refund"), 30, "the demo SMTP server up")
        emails = requests.get(f"{simulator}/mailbox", timeout=10).json()["emails"]
        assert [(e["to"], e["subject"]) for e in emails] == [("lucia@example.com", "Your refund")]

        redis_pid = int((tmp_path / "redis.pid").read_text())
        assert alive(redis_pid), "the embedded redis-server is not running"
        groups = stack.process_groups()
    finally:
        stack.ctrl_c()
    assert stack.honcho.returncode is not None
    assert not alive(redis_pid), "a redis-server survived Ctrl-C:\n" + stack.output[-2000:]
    assert not (tmp_path / "redis.sock").exists()
    assert not (left := in_groups(groups)), f"processes survived Ctrl-C: {left}"


@pytest.mark.slow
def test_a_process_that_dies_is_started_again_while_the_others_keep_serving(stack, tmp_path):
    """honcho alone stops all four when one ends; each Procfile line runs under workspace.infra.respawn instead."""

    def worker_pid() -> int | None:  # the worker's main process, not its pool's child nor a wrapper
        assert stack.honcho.poll() is None, "honcho stopped the stack:\n" + stack.honcho.stdout.read().decode()[-1500:]
        processes = stack.processes()

        def worker(cmd: str) -> bool:
            return "celery -A workspace worker" in cmd and "workspace.infra.respawn" not in cmd

        return next((pid for pid, cmd in processes.items()
                     if worker(cmd) and not worker(processes.get(parent_of(pid), ""))), None)  # fmt: skip

    try:
        stack.wait_healthy(120)
        worker = wait_for(worker_pid, 30, "the worker started")
        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: worker_pid() not in (None, worker), 30, "the worker started again")

        redis_pid = read_pid(tmp_path / "redis.pid")
        os.kill(redis_pid, signal.SIGKILL)
        down = time.monotonic()
        wait_for(lambda: read_pid(tmp_path / "redis.pid") not in (None, redis_pid), 30, "redis-server started again")
        # Redis came back empty: a heartbeat stamped now means beat sent a task since and the new worker ran it.
        checks = wait_for(lambda: heartbeat_since_redis_restart(stack), 60, "a heartbeat after the Redis restart")
        recovered = time.monotonic() - down
        groups = stack.process_groups()
        print(f"make run: worker and redis-server killed and started again; heartbeat {recovered:.1f} s after")
    finally:
        stack.ctrl_c()
    assert "event=process.exited" in stack.output and "exit=SIGKILL" in stack.output, stack.output[-3000:]
    assert checks["redis"] == "ok"
    assert not (left := in_groups(groups)), f"processes survived Ctrl-C: {left}"
    assert not (tmp_path / "redis.sock").exists()


def smtp_send(port: int, to: str, subject: str) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            smtp.sendmail("care@perch.localhost", [to], f"To: {to}\r\nSubject: {subject}\r\n\r\nHello\r\n")
    except OSError:  # not listening yet
        return False
    return True


def heartbeat_since_redis_restart(stack: Stack) -> dict | None:
    assert stack.honcho.poll() is None, "honcho stopped the stack"
    response = stack.health()
    if response is None or response.status_code != 200:
        return None
    checks = response.json()["checks"]
    return checks if "heartbeat" in checks["celery"] else None


def parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0

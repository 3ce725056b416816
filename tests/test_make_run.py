"""`make run`'s process set (the Procfile under honcho) on embedded defaults: up, serving, and gone on Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

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


def test_procfile_serves_workspace_and_admin_and_stops_cleanly_on_ctrl_c(tmp_path):
    port = free_port()
    # What a person typing `make run` has: no database or Redis configured, no test-only variables.
    dropped = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(PERCH_VAR_DIR=str(tmp_path), PERCH_PORT=str(port), PATH=f"{BIN}:{env['PATH']}", CELERY_CONCURRENCY="1")
    for step in (["migrate", "-v0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env, check=True, capture_output=True)

    honcho = subprocess.Popen(
        [sys.executable, "-m", "honcho", "start"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, health = time.monotonic() + 120, None
        while time.monotonic() < deadline:
            try:
                health = requests.get(f"{base}/healthz", timeout=10)
                if health.status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still warming up
                pass
            time.sleep(0.5)
        assert health is not None and health.status_code == 200, "Perch was not healthy within 2 minutes"

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

        redis_pid = int((tmp_path / "redis.pid").read_text())
        assert alive(redis_pid), "the embedded redis-server is not running"
    finally:
        os.killpg(honcho.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        output = honcho.communicate(timeout=60)[0].decode(errors="replace")
    assert honcho.returncode is not None
    assert not alive(redis_pid), "a redis-server survived Ctrl-C:\n" + output[-2000:]
    assert not (tmp_path / "redis.sock").exists()

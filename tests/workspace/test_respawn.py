"""The wrapper each Procfile process runs under (`python -m workspace.infra.respawn COMMAND…`): a command that dies is
started again after a backoff and the log says why; SIGTERM or SIGINT stops the wrapper and its command for good."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

# Dies with code 3 on its first start, then stays up: each start writes its pid on a line of its own.
FLAKY = textwrap.dedent("""
    import os, sys, time
    starts = sys.argv[1]
    with open(starts, "a") as file:
        file.write(f"{os.getpid()}\\n")
    if len(open(starts).read().split()) == 1:
        sys.exit(3)
    while True:
        time.sleep(1)
""")


def alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.05)
    return value


def pids(starts: Path) -> list[int]:
    return [int(pid) for pid in starts.read_text().split()] if starts.exists() else []


@pytest.fixture
def respawn(tmp_path):
    """Starts the wrapper on the flaky command, alone in its session as honcho starts each Procfile line."""
    started = []

    def start(script: str = FLAKY) -> tuple[subprocess.Popen, Path]:
        starts = tmp_path / "starts"
        process = subprocess.Popen(
            [sys.executable, "-m", "workspace.infra.respawn", sys.executable, "-c", script, str(starts)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )  # fmt: skip
        started.append(process)
        return process, starts

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT])
def test_a_command_that_dies_is_started_again_and_a_signal_stops_both(respawn, stop_with):
    wrapper, starts = respawn()
    first, second = wait_for(lambda: len(pids(starts)) == 2 and pids(starts), 15, "a second start")
    assert not alive(first) and alive(second)
    assert alive(wrapper.pid), "the wrapper must outlive its command"

    os.kill(wrapper.pid, stop_with)  # to the wrapper alone: it must pass the stop on to its command
    wrapper.wait(timeout=15)
    log = wrapper.stderr.read()
    assert not alive(second), "the command outlived its wrapper"
    assert pids(starts) == [first, second], "started again after the stop"
    words = log.split()
    assert {"event=process.exited", "exit=3", "restart_in_seconds=1"} <= set(words), log
    assert "event=process.stopped" in words, log


def test_a_stop_during_the_backoff_does_not_start_the_command_again(respawn):
    wrapper, starts = respawn("import sys; open(sys.argv[1], 'a').write('1\\n'); sys.exit(1)")
    wait_for(lambda: pids(starts), 10, "the first start")
    time.sleep(0.3)  # dead, and waiting 1 s before the next start
    os.kill(wrapper.pid, signal.SIGTERM)
    assert wrapper.wait(timeout=5) == 0
    time.sleep(1.5)
    assert pids(starts) == [1]


def test_the_delay_doubles_while_the_command_keeps_dying_young(respawn):
    wrapper, starts = respawn("import sys; open(sys.argv[1], 'a').write('1\\n'); sys.exit(1)")
    wait_for(lambda: len(pids(starts)) == 3, 15, "a third start")  # after 1 s, then 2 s
    os.kill(wrapper.pid, signal.SIGTERM)
    wrapper.wait(timeout=5)
    log = wrapper.stderr.read()
    assert {"restart_in_seconds=1", "restart_in_seconds=2"} <= set(log.split()), log

"""Keeps one Procfile process running: `python -m workspace.infra.respawn COMMAND [ARG...]`.

honcho stops the whole stack as soon as one of its processes ends, so under `make run` a worker that crashed or a
Redis that died took the other three down with it. Each Procfile line runs its command under this wrapper instead:
a command that ends is started again, after 1 s, doubling up to 30 s while it keeps dying young, and the log says
how it ended. SIGTERM or SIGINT stops the wrapper for good. The command stays in the wrapper's process group, so
honcho's stop (SIGTERM to the group, SIGKILL 5 s later) reaches it directly and nothing outlives the stack.
"""

import logging
import os
import shlex
import signal
import subprocess
import sys
import time

from workspace.infra.logs import JsonFormatter, KeyValueFormatter, log_event

FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0
HEALTHY_SECONDS = 30.0  # a command that ran this long was not crash-looping: its next restart waits 1 s again

log = logging.getLogger("workspace.infra.respawn")


def describe(code: int) -> str:
    """How a command ended, in the words of its exit code or the signal that killed it."""
    return signal.Signals(-code).name if code < 0 else str(code)


class Respawn:
    def __init__(self, argv: list[str]):
        self.argv, self.command = argv, shlex.join(argv)
        self.child: subprocess.Popen | None = None
        self.stopped_by = ""  # the signal's name once one came; the main loop logs it (never log in a handler)

    @property
    def stopping(self) -> bool:
        return bool(self.stopped_by)

    def stop(self, signum, frame) -> None:
        self.stopped_by = self.stopped_by or signal.Signals(signum).name
        self.forward_stop()

    def forward_stop(self) -> None:
        # Always SIGTERM: under a terminal's Ctrl-C the command already got SIGINT, and a second one makes Celery
        # stop cold and Redis exit without removing its socket; a second SIGTERM is harmless to all four.
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)

    def run(self) -> int:
        delay = FIRST_DELAY_SECONDS
        while True:
            started = time.monotonic()
            self.child = subprocess.Popen(self.argv)
            if self.stopping:  # the signal came while the command was being started
                self.forward_stop()
            code = self.child.wait()
            ran = time.monotonic() - started
            if self.stopping:
                log_event(log, "process.stopped", command=self.command, signal=self.stopped_by, exit=describe(code))
                return 128 - code if code < 0 else code
            if ran >= HEALTHY_SECONDS:
                delay = FIRST_DELAY_SECONDS
            log_event(log, "process.exited", level=logging.WARNING, command=self.command, exit=describe(code),
                      ran_seconds=f"{ran:.1f}", restart_in_seconds=f"{delay:g}")  # fmt: skip
            if not self.wait(delay):
                log_event(log, "process.stopped", command=self.command, signal=self.stopped_by)
                return 0
            delay = min(delay * 2, MAX_DELAY_SECONDS)

    def wait(self, seconds: float) -> bool:
        """Sleeps between two starts; False as soon as a stop arrives."""
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.05)
        return not self.stopping


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: python -m workspace.infra.respawn COMMAND [ARG...]")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if os.environ.get("LOG_FORMAT") == "json" else KeyValueFormatter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    respawn = Respawn(sys.argv[1:])
    signal.signal(signal.SIGTERM, respawn.stop)
    signal.signal(signal.SIGINT, respawn.stop)
    sys.exit(respawn.run())


if __name__ == "__main__":
    main()

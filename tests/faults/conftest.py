"""Fault tests print one figure line each (events sent, stored, duplicated, lost) in the terminal summary, with or
without -s, and keep them in var/test/artifacts/figures.txt for docs/RELIABILITY.md."""

import pytest
from django.conf import settings

from tests.social.conftest import brand, simulator  # noqa: F401  (the sandbox fixtures, reused)

FIGURES: list[str] = []


class Figures:
    def record(self, what: str, *, sent: int, stored: int, duplicated: int, extra: str = "") -> None:
        lost = sent - (stored - duplicated)
        line = f"faults: {what} — events sent {sent}, stored {stored}, duplicated {duplicated}, lost {lost}"
        FIGURES.append(line + (f" ({extra})" if extra else ""))
        assert (lost, duplicated) == (0, 0), line

    def record_sends(self, what: str, *, written: int, sent: int, at_x: int, duplicated: int, extra: str = "") -> None:
        """For the outbox: messages agents wrote, rows Perch shows sent, DMs X holds, and the ones it holds twice."""
        lost = written - (at_x - duplicated)
        line = f"faults: {what} — written {written}, sent {sent}, at X {at_x}, duplicated {duplicated}, lost {lost}"
        FIGURES.append(line + (f" ({extra})" if extra else ""))
        assert (lost, duplicated) == (0, 0), line


@pytest.fixture
def figures() -> Figures:
    return Figures()


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for line in FIGURES:
        terminalreporter.write_line(line)
    out = settings.VAR_DIR / "artifacts" / "figures.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a") as file:
        file.writelines(line + "\n" for line in FIGURES)

"""The lock files (`make lock`) hold what pyproject.toml declares: a dependency added or a range moved without
regenerating them fails here, before a fresh machine installs something CI never tested."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# Each lock file and the extras `make` installs from it.
LOCKS = {"requirements.txt": [], "requirements-test.txt": ["test"], "requirements-bench.txt": ["test", "bench"]}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(lock: str) -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in PIN.findall((ROOT / lock).read_text())}


def declared(extras: list[str]) -> list[Requirement]:
    lines = PROJECT["dependencies"] + [line for extra in extras for line in PROJECT["optional-dependencies"][extra]]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize("lock, extras", LOCKS.items())
def test_the_lock_pins_every_declared_dependency_within_its_range(lock, extras):
    locked = pins(lock)
    missing = [str(req) for req in declared(extras) if canonicalize_name(req.name) not in locked]
    assert not missing, f"{lock} lacks {missing}: run `make lock`"
    outside = [f"{req} (locked {locked[canonicalize_name(req.name)]})" for req in declared(extras)
               if not req.specifier.contains(locked[canonicalize_name(req.name)], prereleases=True)]  # fmt: skip
    assert not outside, f"{lock} pins versions pyproject.toml no longer allows: {outside}; run `make lock`"


def test_every_pin_has_hashes_and_the_locks_agree_on_shared_packages():
    """`pip install --require-hashes` refuses a pin without a hash; CI must test the versions `make run` runs."""
    runtime = pins("requirements.txt")
    for lock in LOCKS:
        text = (ROOT / lock).read_text()
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text[PIN.search(text).start() :])
        unhashed = [block.split()[0] for block in blocks if "--hash=sha256:" not in block]
        assert not unhashed, f"{lock}: no hash for {unhashed}"
        assert "--index-url" not in text and "--find-links" not in text, f"{lock} names this machine's package index"
        differ = {
            name: (version, pins(lock)[name]) for name, version in runtime.items() if pins(lock).get(name) != version
        }
        assert not differ, f"{lock} and requirements.txt pin different versions: {differ}; run `make lock`"

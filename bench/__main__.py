"""`make bench`: benchmarks live here, not in the test suite. Each module is a runnable benchmark."""

import pkgutil

import bench

modules = [m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_")]
print("Perch benchmarks:", ", ".join(modules) or "none yet")

from tests.social.conftest import brand, simulator  # noqa: F401  (the sandbox fixtures, reused)

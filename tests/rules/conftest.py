"""The office's small district (tests/office/conftest.py) for the rules every way in shares."""
from tests.office.conftest import north, password_hash, south, world  # noqa: F401  (fixtures)

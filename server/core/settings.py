"""Typed settings read once from the environment; unsafe production defaults are refused."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# The package's own files (found beside its code, installed or not): the pages' templates, the phone
# app's static files, the message catalogs and the migrations.
PACKAGE_DIR = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "pwa"
LOCALE_DIR = PACKAGE_DIR / "locale"
# The source checkout, when the server runs from one (`make run`); None once installed from a wheel.
ROOT = PACKAGE_DIR.parent if (PACKAGE_DIR.parent / "pyproject.toml").is_file() else None
DEFAULT_SECRET = "sammachip-development-secret-change-me"
MIN_DISTINCT_CHARACTERS = 10


class UnsafeSettings(RuntimeError):
    """Raised when the server would start in production with a development default."""


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def default_database_url() -> str:
    """`data/sammachip.db` in the source checkout, or under the current directory once installed."""
    data = (ROOT or Path.cwd()) / "data"
    return f"sqlite:///{data / 'sammachip.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    secret_key: str = DEFAULT_SECRET
    demo: bool = False
    development: bool = False
    secure_cookies: bool = False
    session_hours: int = 12
    max_failed_logins: int = 10
    lockout_minutes: int = 15
    default_locale: str = "th"
    # Reports resting on more trainings than this (a province, the country) come from a snapshot
    # recomputed after `snapshot_minutes` once the data has changed (server/reports/snapshots.py).
    snapshot_trainings: int = 2000
    snapshot_minutes: int = 10

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            database_url=os.environ.get("DATABASE_URL") or default_database_url(),
            secret_key=os.environ.get("SECRET_KEY") or DEFAULT_SECRET,
            demo=_flag("SAMMACHIP_DEMO"),
            development=_flag("SAMMACHIP_DEV"),
            secure_cookies=_flag("SECURE_COOKIES"),
            session_hours=int(os.environ.get("SESSION_HOURS", "12")),
            max_failed_logins=int(os.environ.get("MAX_FAILED_LOGINS", "10")),
            lockout_minutes=int(os.environ.get("LOCKOUT_MINUTES", "15")),
            snapshot_trainings=int(os.environ.get("SNAPSHOT_TRAININGS", "2000")),
            snapshot_minutes=int(os.environ.get("SNAPSHOT_MINUTES", "10")),
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_safe(self) -> None:
        """Outside demo/development mode a default, short or patterned secret is a configuration error.

        A random key of 32 characters has far more than `MIN_DISTINCT_CHARACTERS` different ones; a
        key of few (32 times "a", "abab…", a date) is guessable, whatever its length.
        """
        if self.demo or self.development:
            return
        if (self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32
                or len(set(self.secret_key)) < MIN_DISTINCT_CHARACTERS):
            raise UnsafeSettings(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                f"(with at least {MIN_DISTINCT_CHARACTERS} different ones), e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` "
                "(or run with SAMMACHIP_DEMO=1 / SAMMACHIP_DEV=1 for a non-production server)."
            )

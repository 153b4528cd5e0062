"""The `sammachip` console command: serve, migrate, seed-demo, seed-scale, create-user, backup, restore."""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from sqlmodel import Session, select

from server.core.dates import thai_today


def _settings():
    from server.core.settings import Settings

    return Settings.from_env()


def cmd_migrate(_args: argparse.Namespace) -> int:
    from server.config.reference_data import ensure_defaults
    from server.core.db import make_engine
    from server.core.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with Session(engine) as db:
        ensure_defaults(db)
    print("database is at the latest schema")
    return 0


def cmd_seed_demo(_args: argparse.Namespace) -> int:
    from server.core.db import make_engine
    from server.demo import DEMO_PASSWORD, has_data, seed_demo

    settings = _settings()
    engine = make_engine(settings.database_url)
    with Session(engine) as db:
        if has_data(db):
            print("the database already has data; demo data not loaded")
            return 0
        seed_demo(db)
    print(f"demo data loaded. Accounts: admin, supervisor, officer — password: {DEMO_PASSWORD}")
    return 0


def cmd_refresh_figures(args: argparse.Namespace) -> int:

    from server.core.dates import fiscal_year_be
    from server.core.db import make_engine
    from server.reports.snapshots import warm_country

    today = thai_today()
    current = fiscal_year_be(today)
    stored = warm_country(make_engine(_settings().database_url), range(current - args.years + 1, current + 1), today)
    print(f"{stored} reports of the country computed")
    return 0


def cmd_seed_scale(args: argparse.Namespace) -> int:
    import time

    from server.core.db import make_engine
    from server.reports.scale import ScaleError, seed_scale

    engine = make_engine(_settings().database_url)
    started = time.perf_counter()
    try:
        counts = seed_scale(engine, villages=args.villages, households_per_village=args.households_per_village,
                            years=args.years)
    except ScaleError as error:
        print(str(error), file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    print(", ".join(f"{name} {count:,}" for name, count in sorted(counts.items())))
    print(f"{sum(counts.values()):,} rows in {seconds:.1f} s")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from server.auth.passwords import hash_password
    from server.core.db import make_engine
    from server.models import User
    from server.models.users import ROLES

    if args.role not in ROLES:
        print(f"role must be one of {', '.join(ROLES)}", file=sys.stderr)
        return 2
    password = args.password or getpass.getpass("password: ")
    if len(password) < 10:
        print("password must be at least 10 characters", file=sys.stderr)
        return 2
    engine = make_engine(_settings().database_url)
    with Session(engine) as db:
        if db.exec(select(User).where(User.username == args.username)).first():
            print(f"user {args.username} already exists", file=sys.stderr)
            return 1
        db.add(User(username=args.username, display_name=args.name or args.username, role=args.role,
                    district_code=args.district, password_hash=hash_password(password)))
        db.commit()
    print(f"user {args.username} created")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from server.core.backup import BackupError, backup

    started = time.perf_counter()
    try:
        size = backup(_settings().database_url, Path(args.path))
    except BackupError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(f"backup written to {args.path} ({size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from server.core.backup import BackupError, restore

    started = time.perf_counter()
    try:
        restore(_settings().database_url, Path(args.path), force=args.force)
    except BackupError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(f"restored from {args.path} in {time.perf_counter() - started:.1f} s; run `sammachip migrate` "
          "if the backup is older than this release")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # The processes add up their metrics in files of a directory they share (set before the
        # metrics are first imported, here and in each worker).
        import tempfile

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="sammachip-metrics-")
    import uvicorn

    from server.app import create_app
    from server.web.observability import uvicorn_log_config

    from server.core.settings import UnsafeSettings

    settings = _settings()
    try:
        app = create_app(settings)  # refuses unsafe settings before any worker starts
    except UnsafeSettings as unsafe:
        print(f"sammachip: {unsafe}", file=sys.stderr, flush=True)  # one plain line, no traceback
        return 1
    if settings.demo:
        print("Sammachip demo: http://%s:%d — accounts admin / supervisor / officer, password "
              "sammachip-demo" % (args.host, args.port), flush=True)
    # Requests still running at SIGTERM get a few seconds; every database wait is bounded anyway.
    # One line per request comes from the app (server/web/observability.py), in place of uvicorn's access log.
    options = {"host": args.host, "port": args.port, "log_level": "info", "proxy_headers": True,
               "timeout_graceful_shutdown": 10, "access_log": False, "log_config": uvicorn_log_config()}
    if args.workers > 1:
        # Several processes share nothing but the database (sessions, sync order and snapshots live
        # there), so each builds its own app from the same environment.
        # A worker busy with its requests answers the supervisor's health ping late under a full
        # load; it is restarted only when it is truly stuck, not mid-request (its clients reset).
        uvicorn.run("server.app:create_app", factory=True, workers=args.workers, timeout_worker_healthcheck=30,
                    **options)
    else:
        uvicorn.run(app, **options)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sammachip", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")),
                       help="server processes (default: $WEB_CONCURRENCY or 1); each request is CPU-bound "
                            "Python, so one per core serves the most")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(func=cmd_migrate)
    sub.add_parser("seed-demo", help="load demo data into an empty database").set_defaults(func=cmd_seed_demo)
    refresh = sub.add_parser("refresh-figures",
                             help="compute the country's progress and outcomes now (for a scheduled job)")
    refresh.add_argument("--years", type=int, default=2, help="fiscal years, counting back from the current one")
    refresh.set_defaults(func=cmd_refresh_figures)
    scale = sub.add_parser("seed-scale", help="generate a national-size program into an empty database")
    scale.add_argument("--villages", type=int, required=True)
    scale.add_argument("--households-per-village", type=int, default=20)
    scale.add_argument("--years", type=int, default=1)
    scale.set_defaults(func=cmd_seed_scale)
    create = sub.add_parser("create-user", help="add a user")
    create.add_argument("username")
    create.add_argument("--role", required=True)
    create.add_argument("--name")
    create.add_argument("--district")
    create.add_argument("--password", help="prompted for when omitted")
    create.set_defaults(func=cmd_create_user)
    backup = sub.add_parser("backup", help="back up the database to PATH (safe while the server runs)")
    backup.add_argument("path")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="restore a backup into an empty database")
    restore.add_argument("path")
    restore.add_argument("--force", action="store_true", help="replace a database that already holds data")
    restore.set_defaults(func=cmd_restore)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

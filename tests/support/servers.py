"""Real HTTP servers in subprocesses, for browser tests and tests with several server processes."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
TEST_SECRET = "test-secret-" + "x" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_url: str, port: int | None = None, env: dict[str, str] | None = None,
                 *, timeout: float = 30.0, workers: int = 1) -> tuple[subprocess.Popen, str]:
    """Start the app under uvicorn on a loopback port against `db_url`; return (process, base_url).

    The database must already be migrated (the `db_url` fixture is). The app reads its settings
    from the environment: DATABASE_URL, SECRET_KEY and SAMMACHIP_DEV=1, plus anything in `env`.
    Stop it with `stop_server(process)`.
    """
    port = port or free_port()
    child_env = {k: v for k, v in os.environ.items() if k != "SAMMACHIP_DEMO"}
    child_env.update({"DATABASE_URL": db_url, "SECRET_KEY": TEST_SECRET, "SAMMACHIP_DEV": "1",
                      "PYTHONUNBUFFERED": "1"})
    child_env.update(env or {})
    log = tempfile.NamedTemporaryFile(prefix=f"sammachip-server-{port}-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "server.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
         "--timeout-graceful-shutdown", "5", *(["--workers", str(workers), "--timeout-worker-healthcheck", "30"] if workers > 1 else [])],
        cwd=ROOT, env=child_env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    process.log_path = log.name  # type: ignore[attr-defined]
    log.close()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server_log(process)}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return process, base_url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_server(process)
            raise RuntimeError(f"server did not answer /healthz within {timeout}s:\n{server_log(process)}")
        time.sleep(0.1)


def wait_for(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Wait until `url` answers 200 (a server coming up); fail if its process ends first."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout}s")
        time.sleep(0.1)


def server_log(process: subprocess.Popen) -> str:
    path = getattr(process, "log_path", None)
    return Path(path).read_text(errors="replace") if path and Path(path).exists() else ""


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    path = getattr(process, "log_path", None)
    if path:
        Path(path).unlink(missing_ok=True)

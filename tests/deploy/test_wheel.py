"""The package as a province installs it: a wheel (no editable install, no source tree) runs the
whole server from an empty directory — the same steps as the Dockerfile's."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.servers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
THAI = re.compile(r"[\u0e00-\u0e7f]{4,}")


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_wheel_installs_and_serves_from_an_empty_directory(tmp_path: Path) -> None:
    # Nothing of the checkout or of the test run's own environment leaks into the installed server.
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "VIRTUAL_ENV", "DATABASE_URL", "SAMMACHIP_DEV", "SAMMACHIP_DEMO"}}
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)], ROOT, env)
    [wheel] = wheels.glob("sammachip-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], tmp_path, env)

    workdir = tmp_path / "empty"
    workdir.mkdir()
    command = str(venv / "bin" / "sammachip")
    env["SAMMACHIP_DEMO"] = "1"
    _run([command, "migrate"], workdir, env)
    _run([command, "seed-demo"], workdir, env)
    assert (workdir / "data" / "sammachip.db").is_file(), "the default database lives under the current directory"

    port = free_port()
    server = subprocess.Popen([command, "serve", "--port", str(port)], cwd=workdir, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/readyz", server)
        with httpx.Client(base_url=base, timeout=10) as client:
            login = client.get("/login")
            assert login.status_code == 200
            assert 'lang="th"' in login.text and THAI.search(login.text), "the sign-in page speaks Thai"
            css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]+)"', login.text)
            assert css, "the page links its versioned stylesheet"
            sheet = client.get(css.group(1))
            assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/css")
            assert "immutable" in sheet.headers["cache-control"] and len(sheet.content) > 100
            worker = client.get("/sw.js")
            assert worker.status_code == 200 and "javascript" in worker.headers["content-type"]
            assert "/static/" in worker.text, "the worker lists the files it keeps"
            manifest = client.get("/manifest.webmanifest")
            assert manifest.status_code == 200 and manifest.json()["icons"]
            for icon in manifest.json()["icons"]:
                assert client.get(icon["src"]).status_code == 200
            # The demo accounts came from the installed package's seed-demo.
            signed_in = client.post("/login", data={"username": "admin", "password": "sammachip-demo",
                                                    "_csrf_token": client.cookies["csrftoken"]})
            assert signed_in.status_code in (302, 303) and signed_in.headers["location"] == "/"
            assert client.get("/").status_code == 200
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode(errors="replace")
    assert "Traceback" not in output, output

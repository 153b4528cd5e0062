"""The production topology without containers: PostgreSQL, three `sammachip serve` processes and a
real nginx running deploy/nginx.conf (TLS, gzip, /static cached, balancing) in front. An office and
its phones work through the proxy while one app server is restarted: every acknowledged op is
stored once, pulls never skip a change, nothing is doubled, and every server took its share."""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, func, select

from server.models import Attendance, Household, SyncOp
from tests.sync.helpers import cursor_seq
from tests.support.load import device_token, percentile, run_load, seed_district, sign_in_browser
from tests.support.servers import ROOT, TEST_SECRET, free_port, wait_for

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.postgres


def _nginx_config(tmp: Path, app_ports: list[int], http_port: int, https_port: int) -> Path:
    """deploy/nginx.conf with its "site:" lines set for this machine (ports, paths, certificate)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(tmp / "key.pem"),
                    "-out", str(tmp / "cert.pem")], check=True, capture_output=True)
    servers = iter(app_ports)
    lines = []
    for line in (ROOT / "deploy" / "nginx.conf").read_text().splitlines():
        if "# site:" not in line:
            lines.append(line)
            continue
        directive = line.split("# site:")[0].strip()
        indent = line[:len(line) - len(line.lstrip())]
        name = directive.split()[0]
        replaced = {
            "user": "user root;" if os.geteuid() == 0 else "",
            "pid": f"pid {tmp}/nginx.pid;",
            "error_log": f"error_log {tmp}/error.log warn;",
            "access_log": f"access_log {tmp}/access.log sammachip;",
            "proxy_cache_path": f"proxy_cache_path {tmp}/cache levels=1:2 keys_zone=static:10m max_size=64m "
                                "inactive=1d use_temp_path=off;\n"
                                f"    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; "
                                f"fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; "
                                f"scgi_temp_path {tmp}/scgi;",
            "ssl_certificate": f"ssl_certificate {tmp}/cert.pem;",
            "ssl_certificate_key": f"ssl_certificate_key {tmp}/key.pem;",
        }.get(name)
        if name == "server":
            replaced = re.sub(r"app\d+:8000", f"127.0.0.1:{next(servers)}", directive)
        elif name == "listen":
            replaced = (f"listen 127.0.0.1:{https_port} ssl http2;" if "ssl" in directive
                        else f"listen 127.0.0.1:{http_port};")
        assert replaced is not None, line
        lines.append(indent + replaced)
    config = tmp / "nginx.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


def answered(log: str) -> dict[str, int]:
    """Requests an app server's log says it answered: pages, pushes, pulls."""
    lines = [line for line in log.splitlines() if "sammachip.request:" in line]
    return {"page": sum(" GET /" in line and "/api/" not in line and "z 200" not in line for line in lines),
            "push": sum("POST /api/sync/push " in line for line in lines),
            "pull": sum("GET /api/sync/pull " in line for line in lines)}


class AppServer:
    """`sammachip serve` on its own port, its log in a file."""

    def __init__(self, db_url: str, port: int, log_dir: Path) -> None:
        self.port = port
        self.env = {**{k: v for k, v in os.environ.items() if k != "SAMMACHIP_DEMO"},
                    "DATABASE_URL": db_url, "SECRET_KEY": TEST_SECRET, "SAMMACHIP_DEV": "1",
                    "PYTHONUNBUFFERED": "1"}
        self.log_dir = log_dir
        self.starts = 0
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.starts += 1
        log = open(self.log_dir / f"app-{self.port}-{self.starts}.log", "wb")
        self.process = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)],
                                        cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        log.close()
        wait_for(f"http://127.0.0.1:{self.port}/readyz", self.process, timeout=60)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self, *, since_restart: bool = False) -> str:
        if since_restart:
            return (self.log_dir / f"app-{self.port}-{self.starts}.log").read_text(errors="replace")
        return "".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob(f"app-{self.port}-*.log")))


def test_three_app_servers_behind_nginx_lose_nothing_while_one_restarts(db_url, engine, tmp_path: Path):
    with Session(engine) as db:
        district = seed_district(db, villages=4, households_per_village=25, officers=4)
    ports = [free_port() for _ in range(3)]
    servers = [AppServer(db_url, port, tmp_path) for port in ports]
    http_port, https_port = free_port(), free_port()
    config = _nginx_config(tmp_path, ports, http_port, https_port)
    nginx = None
    try:
        for server in servers:
            server.start()
        checked = subprocess.run([NGINX, "-t", "-c", str(config), "-p", str(tmp_path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen([NGINX, "-c", str(config), "-p", str(tmp_path), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"https://127.0.0.1:{https_port}"
        cert = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))  # trust the proxy's certificate
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/healthz", verify=cert, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, (tmp_path / "error.log").read_text()
                time.sleep(0.1)

        # What the proxy adds: plain HTTP sent to TLS, gzip, static files from its cache, /metrics shut.
        assert httpx.get(f"http://127.0.0.1:{http_port}/login").status_code == 301
        with httpx.Client(base_url=base, verify=cert, timeout=20) as client:
            login = client.get("/login")
            assert login.headers["strict-transport-security"] and login.headers["x-request-id"]
            css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]+)"', login.text).group(1)
            first, second = client.get(css), client.get(css)
            assert first.headers["content-encoding"] == "gzip" and "immutable" in second.headers["cache-control"]
            assert second.headers["x-cache-status"] == "HIT"
            assert client.get("/metrics").status_code == 404

        # Phones push new households through the proxy, resending a batch until it is answered (as the
        # phone's outbox does); a supervisor's phone pulls all along.
        acknowledged: dict[str, tuple[float, int]] = {}  # household id -> (answered at, seq)
        sent_ops: set[str] = set()
        errors: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()

        def phone(number: int) -> None:
            headers = {"Authorization": f"Bearer {device_token(base, f'officer{number}', timeout=30, verify=cert)}"}
            with httpx.Client(base_url=base, verify=cert, timeout=30) as http:
                n = 0
                while not stop.is_set():
                    ops = [{"op_id": str(uuid.uuid4()), "entity": "household", "id": str(uuid.uuid4()),
                            "action": "upsert", "base_seq": None,
                            "captured_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                            "fields": {"village_id": district.village_ids[number], "house_no": f"{80 + number}/{n + i}",
                                       "head_name": f"Proxy Test {n + i}", "members": 2, "annual_income": 30_000,
                                       "consent": True}} for i in range(4)]
                    n += 4
                    for attempt in range(20):
                        try:
                            response = http.post("/api/sync/push", json={"schema": 1, "ops": ops}, headers=headers)
                        except httpx.HTTPError:
                            time.sleep(0.2)
                            continue
                        if response.status_code == 200:
                            break
                        time.sleep(0.2)
                    else:
                        errors.append("a push was never answered")
                        return
                    received = time.monotonic()
                    with lock:
                        sent_ops.update(op["op_id"] for op in ops)
                        for op, answer in zip(ops, response.json()["results"]):
                            if answer["status"] not in ("applied", "duplicate"):
                                errors.append(str(answer))
                            acknowledged[op["id"]] = (received, answer["seq"])

        seen: dict[str, int] = {}
        pulls = [0]

        def pull_until_caught_up(http: httpx.Client, headers: dict[str, str], cursor: str | None) -> str | None:
            while True:
                started = time.monotonic()
                response = http.get("/api/sync/pull", params={"limit": 100, **({"cursor": cursor} if cursor else {})},
                                    headers=headers)
                if response.status_code != 200:
                    errors.append(f"pull {response.status_code}")
                    time.sleep(0.2)
                    continue
                pulls[0] += 1
                page = response.json()
                for change in page["changes"]:
                    if change["entity"] == "household":
                        assert change["seq"] >= seen.get(change["id"], -1)
                        seen[change["id"]] = change["seq"]
                cursor = page["cursor"]
                position = cursor_seq(cursor)
                with lock:
                    settled = [(record_id, seq) for record_id, (answered, seq) in acknowledged.items()
                               if answered < started and seq <= position]
                missed = [(record_id, seq) for record_id, seq in settled if seen.get(record_id, -1) < seq]
                assert not missed, f"a pull skipped {len(missed)} acknowledged changes"
                if not page["has_more"]:
                    return cursor

        phones = [threading.Thread(target=phone, args=(n,)) for n in range(4)]
        for thread in phones:
            thread.start()
        office: dict = {}
        office_thread = threading.Thread(target=lambda: office.update(result=run_load(
            base, district, clients=6, seconds=8, verify=cert)))
        office_thread.start()
        puller = {"Authorization": f"Bearer {device_token(base, 'supervisor', timeout=30, verify=cert)}"}
        cursor = None
        with httpx.Client(base_url=base, verify=cert, timeout=30) as http:
            time.sleep(2)
            restarted = servers[1]
            restarted.stop()  # in the middle of the pushes: the proxy sends its requests to the others
            cursor = pull_until_caught_up(http, puller, cursor)
            restarted.start()
            while office_thread.is_alive():
                cursor = pull_until_caught_up(http, puller, cursor)
                time.sleep(0.2)
            # Until the restarted server has its share again (the proxy waits a few seconds before it
            # tries a server that failed): phones go on pushing, the supervisor pulls and reads pages.
            browser = sign_in_browser(base, "supervisor", timeout=30, verify=cert)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not all(answered(servers[1].log(since_restart=True)).values()):
                cursor = pull_until_caught_up(http, puller, cursor)
                assert browser.get("/households").status_code == 200
            browser.close()
            stop.set()
            for thread in phones:
                thread.join(timeout=60)
            cursor = pull_until_caught_up(http, puller, cursor)
    finally:
        stop.set()
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=20)
        for server in servers:
            server.stop()

    assert not errors, errors[:5]
    result = office["result"]
    assert result.failures() == [], result.failures()[:5]
    pages = [s.seconds for s in result.samples if s.kind == "page"]
    print(f"\nthrough nginx, 3 app servers: {len(result.samples)} office requests in {result.seconds:.1f} s, "
          f"page p95 {percentile(pages, 95) * 1000:.0f} ms; {len(acknowledged)} households pushed, {pulls[0]} pulls")

    # Every acknowledged household is stored once, at the seq its phone was told, and was pulled.
    assert len(acknowledged) >= 20
    with Session(engine) as db:
        stored = dict(db.exec(select(Household.id, Household.seq).where(Household.id.in_(list(acknowledged)))).all())
        assert stored == {record_id: seq for record_id, (_, seq) in acknowledged.items()}
        doubled = db.exec(select(Household.village_id, Household.house_no, func.count())
                          .group_by(Household.village_id, Household.house_no).having(func.count() > 1)).all()
        assert doubled == []
        assert db.exec(select(func.count()).select_from(SyncOp).where(SyncOp.op_id.in_(list(sent_ops)))).one() \
            == len(sent_ops)
        for (session_id, household_id), present in result.pushed_attendance.items():
            rows = db.exec(select(Attendance).where(Attendance.session_id == session_id,
                                                    Attendance.household_id == household_id)).all()
            assert [row.present for row in rows] == [present]
    assert all(seen.get(record_id, -1) >= seq for record_id, (_, seq) in acknowledged.items())

    # Every app server took its share of pages, pushes and pulls; the restarted one after its restart too.
    shares = [answered(server.log()) for server in servers]
    assert all(share[kind] > 0 for share in shares for kind in ("page", "push", "pull")), shares
    assert all(answered(servers[1].log(since_restart=True)).values()), shares

"""Hostile household imports against a real server: per file, its answer, the time to answer and the
server's peak memory above its start; then another user's /households latency alone and while three
bombs are uploaded at once (again and again, for a few seconds).

The files are those of the test suite (tests/support/hostile_files.py). The server is one uvicorn
process on SQLite; its peak memory is VmHWM from /proc, reset before each file (clear_refs).

    python bench/hostile_uploads.py
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session  # noqa: E402

from server.core.db import make_engine  # noqa: E402
from server.core.migrate import upgrade  # noqa: E402
from tests.support import hostile_files as hostile  # noqa: E402
from tests.support.load import percentile, seed_district, sign_in_browser  # noqa: E402
from tests.support.servers import start_server, stop_server  # noqa: E402

SECONDS = float(os.environ.get("SAMMACHIP_BENCH_SECONDS", "10"))
FILES = [  # (label, how it is made, file name)
    ("dimension bomb A1:XFD1048576", hostile.dimension_bomb, "x.xlsx"),
    ("shared string of 256 MB", hostile.shared_string_bomb, "x.xlsx"),
    ("1,000,000 rows", hostile.million_rows, "x.xlsx"),
    ("zip bomb 256 MB", hostile.zip_bomb, "x.xlsx"),
    ("zip with lying sizes", hostile.lying_sizes, "x.xlsx"),
    ("entity expansion", hostile.entity_expansion, "x.xlsx"),
    ("broken sheet XML", hostile.broken_xml, "x.xlsx"),
    ("missing sheet", hostile.missing_sheet, "x.xlsx"),
    ("not a zip", hostile.not_a_zip, "x.xlsx"),
    ("UTF-16LE without BOM", hostile.utf16le_without_bom, "x.csv"),
    ("TIS-620 (cp874)", hostile.tis620, "x.csv"),
    ("latin-1", hostile.latin1, "x.csv"),
    ("CR-only line ends", hostile.cr_only, "x.csv"),
    ("CSV field of 200 KB", hostile.huge_csv_field, "x.csv"),
]


def kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def upload(client, content: bytes, filename: str):  # noqa: ANN001, ANN201
    return client.post("/households/import", files={"file": (filename, content)},
                       data={"_csrf_token": client.cookies["csrftoken"]})


def other_user_latency(client, stop: threading.Event) -> list[float]:  # noqa: ANN001
    times = []
    while not stop.is_set():
        started = time.perf_counter()
        response = client.get("/households")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        with Session(engine) as db:
            district = seed_district(db, villages=4, households_per_village=25, officers=5)
        engine.dispose()
        made = [(label, make(), name) for label, make, name in FILES]
        process, base_url = start_server(url)
        try:
            run(process.pid, base_url, district, made)
        finally:
            stop_server(process)


def run(pid: int, base_url: str, district, made) -> None:  # noqa: ANN001
    officer = sign_in_browser(base_url, district.usernames[1], timeout=120)
    officer.get("/households/import")
    start = kb(pid, "VmRSS")
    print(f"server process {pid}: {start / 1024:.0f} MB resident at start\n")
    print(f"{'file':<30}{'size':>10}{'answer':>8}{'time ms':>9}{'peak +MB':>10}")
    for label, content, name in made:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM starts over from now
        before = kb(pid, "VmRSS")
        started = time.perf_counter()
        response = upload(officer, content, name)
        took = time.perf_counter() - started
        peak = kb(pid, "VmHWM")
        print(f"{label:<30}{len(content):>10,}{response.status_code:>8}{took * 1000:>9.0f}"
              f"{(peak - min(before, start)) / 1024:>10.1f}")

    other = sign_in_browser(base_url, district.usernames[5], timeout=120)
    senders = [sign_in_browser(base_url, name, timeout=120) for name in district.usernames[2:5]]
    stop = threading.Event()
    timer = threading.Timer(SECONDS, stop.set)
    timer.start()
    alone = other_user_latency(other, stop)
    bombs = [c for label, c, _ in made if label.startswith(("dimension", "1,000,000", "zip bomb"))]
    stop = threading.Event()
    answers: dict[int, int] = {}

    def keep_bombing(client, content: bytes) -> None:  # noqa: ANN001
        while not stop.is_set():
            status = upload(client, content, "x.xlsx").status_code
            answers[status] = answers.get(status, 0) + 1

    Path(f"/proc/{pid}/clear_refs").write_text("5")
    with ThreadPoolExecutor(4) as pool:
        for client, content in zip(senders, bombs):
            pool.submit(keep_bombing, client, content)
        timer = threading.Timer(SECONDS, stop.set)
        timer.start()
        during = pool.submit(other_user_latency, other, stop).result()
    peak = kb(pid, "VmHWM")
    print(f"\nanother user's /households, {SECONDS:.0f} s each:")
    for label, times in (("alone", alone), ("during 3 concurrent bombs", during)):
        ms = [t * 1000 for t in times]
        print(f"  {label:<28} n={len(ms):>4}  p50 {percentile(ms, 50):>6.0f} ms  p95 {percentile(ms, 95):>6.0f} ms"
              f"  max {max(ms):>6.0f} ms")
    print(f"  bombs answered during that: {dict(sorted(answers.items()))} (422 refused, 503 busy: try again)")
    print(f"  server peak during the three bombs: {(peak - start) / 1024:.1f} MB above its start")


if __name__ == "__main__":
    main()

"""Launching Debian's Chromium under Playwright (run browser tests with `pytest -m browser`)."""
from __future__ import annotations

import os

CHROMIUM = os.environ.get("SAMMACHIP_CHROMIUM", "/usr/bin/chromium")
# Root on a closed network: no sandbox, no GPU, nothing that phones home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def launch_chromium(playwright, **kwargs):  # noqa: ANN001, ANN201
    """`playwright.chromium.launch` with the system Chromium and the flags above."""
    args = CHROMIUM_ARGS + list(kwargs.pop("args", []))
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args, **kwargs)

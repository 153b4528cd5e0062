#!/usr/bin/env bash
# Create the project's virtual environment (.venv) if it does not exist yet.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

if [[ -x "$VENV/bin/python" ]]; then
    exit 0
fi

echo "==> creating $VENV with $($PYTHON --version 2>&1)"
if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    # Debian's python3 ships without ensurepip until python3-venv is installed.
    rm -rf "$VENV"
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "==> installing python3-venv"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
        "$PYTHON" -m venv "$VENV"
    else
        echo "error: '$PYTHON -m venv' failed; install your distribution's python3-venv package" >&2
        exit 1
    fi
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip

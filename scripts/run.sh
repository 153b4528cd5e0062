#!/usr/bin/env bash
# Migrate, load the demo data (only into an empty database) and serve on HOST:PORT in demo mode.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export DATABASE_URL="${DATABASE_URL:-sqlite:///$PWD/data/sammachip.db}"
export SAMMACHIP_DEMO=1

mkdir -p data
echo "==> database: $DATABASE_URL"
"$BIN/sammachip" migrate
"$BIN/sammachip" seed-demo

cat <<MSG

  Sammachip (demo mode) on http://$HOST:$PORT/
  Demo accounts, all with the password  sammachip-demo
    admin        administrator
    supervisor   district supervisor (Muang Sam Sip)
    officer      field officer
  Press Ctrl+C to stop.

MSG
exec "$BIN/sammachip" serve --host "$HOST" --port "$PORT"

#!/usr/bin/env bash
# The whole test suite: (a) SQLite, (b) a throwaway PostgreSQL cluster, (c) real Chromium.
# Every phase runs; the script fails if any phase failed. Extra pytest arguments: PYTEST_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
read -r -a EXTRA <<<"${PYTEST_ARGS:-}"

as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

find_initdb() {
    local found
    found="$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
    echo "$found"
}

# --- system packages, only when missing ---------------------------------------------------------
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
# The proxy test runs a real nginx in front of three app servers; openssl makes its certificate.
[[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null || missing+=(nginx-light)
command -v openssl >/dev/null || missing+=(openssl)
# Thai text is measured in the browser tests (dates and names kept whole): Chromium needs a Thai font.
[[ -d /usr/share/fonts/truetype/tlwg ]] || missing+=(fonts-thai-tlwg)
[[ -n "$(find_initdb)" ]] || missing+=(postgresql)
if ((${#missing[@]})); then
    echo "==> apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update
    as_root apt-get install -y --no-install-recommends "${missing[@]}"
fi
INITDB="$(find_initdb)"
PGBIN="$(dirname "$INITDB")"

declare -a SUMMARY=()
failed=0

run_phase() {  # run_phase NAME [allow-no-tests] -- pytest args...
    local name="$1" allow_empty="$2"; shift 3
    local start=$SECONDS rc=0
    echo
    echo "==> phase: $name"
    "$PY" -m pytest "$@" "${EXTRA[@]}" || rc=$?
    local took=$((SECONDS - start))
    if [[ $rc -eq 5 && "$allow_empty" == "allow-no-tests" ]]; then
        echo "==> $name: no tests collected yet; counted as passed"
        rc=0
    fi
    if [[ $rc -eq 0 ]]; then
        SUMMARY+=("ok      $name (${took}s)")
    else
        SUMMARY+=("FAILED  $name (${took}s, pytest exit $rc)")
        failed=1
    fi
}

# The database phases run on every core (pytest-xdist): each test has its own database, server
# processes take free ports, so tests do not share state.
WORKERS="${TEST_WORKERS:-$(nproc 2>/dev/null || echo 2)}"
((WORKERS <= 4)) || WORKERS=4  # the PostgreSQL cluster allows 200 connections
PARALLEL=(-n "$WORKERS" --dist loadfile)

# --- (a) SQLite ----------------------------------------------------------------------------------
unset SAMMACHIP_TEST_PG
run_phase "sqlite" strict -- -m "not browser" "${PARALLEL[@]}"

# --- (b) PostgreSQL ------------------------------------------------------------------------------
PGTMP="$(mktemp -d)"
cleanup_pg() {
    if [[ -f "$PGTMP/data/postmaster.pid" ]]; then
        (cd "$PGTMP" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate -w stop >/dev/null 2>&1) || true
    fi
    rm -rf "$PGTMP"
}
trap cleanup_pg EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PGPORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$PGTMP/sock"
chown -R postgres:postgres "$PGTMP"
chmod 700 "$PGTMP"
echo
echo "==> starting PostgreSQL ($("$PGBIN/postgres" --version)) on 127.0.0.1:$PGPORT in $PGTMP"
(
    cd "$PGTMP"
    runuser -u postgres -- "$PGBIN/initdb" -D "$PGTMP/data" -U postgres --no-locale --encoding=UTF8 \
        --auth-local=peer --auth-host=reject --no-sync >"$PGTMP/initdb.log"
    # Password-less connections from this machine's loopback only (the cluster lives for one run).
    cat >"$PGTMP/data/pg_hba.conf" <<HBA
local all all              peer
host  all all 127.0.0.1/32 trust
HBA
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP/sock -c max_connections=200 \
            -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
) || { echo "PostgreSQL did not start:"; cat "$PGTMP"/*.log 2>/dev/null || true; exit 1; }

# Tests that say the same on any database run once, in the SQLite phase: tests/foundation (the app's
# own shape: layout, words, clock, sign-in pages), reading hostile files, response headers, the routes'
# declared access, the API document, request logs. Everything that stores or syncs runs on both.
SAME_ON_ANY_DATABASE=(--ignore=tests/foundation --ignore=tests/office/test_hostile_files.py
                      --ignore=tests/office/test_hostile_files_server.py --ignore=tests/office/test_security_headers.py
                      --ignore=tests/office/test_route_access.py --ignore=tests/api/test_openapi_document.py
                      --ignore=tests/deploy/test_logs_metrics.py --ignore=tests/deploy/test_wheel.py)
SAMMACHIP_TEST_PG="postgresql://postgres@127.0.0.1:$PGPORT/postgres" \
    run_phase "postgresql" strict -- -m "not browser" "${SAME_ON_ANY_DATABASE[@]}" "${PARALLEL[@]}"

cleanup_pg
trap - EXIT

# --- (c) browser ---------------------------------------------------------------------------------
# Its own process: Playwright's sync API leaves an event loop behind that breaks later async tests.
run_phase "browser" allow-no-tests -- -m browser

echo
echo "==> summary"
printf '    %s\n' "${SUMMARY[@]}"
exit "$failed"

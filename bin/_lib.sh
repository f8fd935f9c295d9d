# Shared set-up steps for bin/run and bin/test. Each step is skipped when already done.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages, installed only when a command or file they provide is missing.
ensure_apt() {
  local missing=()
  while [ $# -gt 0 ]; do
    local check="$1" package="$2"; shift 2
    if ! command -v "$check" >/dev/null 2>&1 && [ ! -e "$check" ]; then missing+=("$package"); fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# The Python environment in .venv, reinstalled when pyproject.toml changes.
ensure_python() {
  local python="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv"
    "$python" -m venv .venv
  fi
  if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
    echo "==> installing Python packages"
    .venv/bin/pip install -q --disable-pip-version-check -e ".[test]"
    touch .venv/.installed
  fi
  export PATH="$ROOT/.venv/bin:$PATH"
}

# bpmn-js and the other browser assets, from the npm registry at the versions package-lock.json pins.
ensure_assets() {
  if [ -f package.json ]; then
    if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
      ensure_apt node nodejs npm npm  # Debian's Node.js and npm, only to fetch the pinned assets
      echo "==> installing browser assets (npm ci)"
      npm ci --silent --no-audit --no-fund >/dev/null
    fi
    python tools/copy_assets.py
  fi
}

# A throwaway PostgreSQL server on 127.0.0.1:$PGPORT; exports TEST_DATABASE_URL.
start_postgres() {
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$pgbin" ]; then
    ensure_apt /usr/lib/postgresql postgresql
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  PGPORT="${PGPORT:-55432}"
  PGDIR=$(mktemp -d)
  local owner=""
  if [ "$(id -u)" = 0 ]; then owner=postgres; chown postgres "$PGDIR"; fi
  local run=(bash -c)
  [ -n "$owner" ] && run=(su "$owner" -s /bin/bash -c)
  "${run[@]}" "'$pgbin/initdb' -D '$PGDIR/data' -A trust -U postgres -E UTF8 >/dev/null"
  # The usual port may be taken for a moment (it lies in the range of outgoing connections): then
  # take any free one.
  local attempt
  for attempt in 1 2 3; do
    if "${run[@]}" "'$pgbin/pg_ctl' -D '$PGDIR/data' \
        -o \"-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off\" -l '$PGDIR/log' -w start >/dev/null"; then
      break
    fi
    [ "$attempt" = 3 ] && { cat "$PGDIR/log"; return 1; }
    PGPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  done
  export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
  echo "==> PostgreSQL running on 127.0.0.1:$PGPORT"
}

stop_postgres() {
  if [ -n "${PGDIR:-}" ]; then
    local pgbin
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    if [ "$(id -u)" = 0 ]; then
      su postgres -s /bin/bash -c "'$pgbin/pg_ctl' -D '$PGDIR/data' -m fast -w stop" >/dev/null 2>&1 || true
    else
      "$pgbin/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PGDIR"
  fi
}

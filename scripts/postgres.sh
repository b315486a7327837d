#!/usr/bin/env bash
# Make sure Postgres server binaries exist, in the order legato_operator.postgres looks for
# them: LEGATO_PG_BINDIR, `pg_config --bindir` / Debian's /usr/lib/postgresql/*/bin /
# initdb on PATH, then the binaries bundled in the pgserver wheel. Installs what is missing:
# Debian's package when we are root with apt-get, else pgserver into the venv.
# Fast and silent when the binaries are already there.
set -euo pipefail

PYTHON=${PYTHON:-.venv/bin/python}

has_server() { [[ -x $1/initdb && -x $1/pg_ctl && -x $1/postgres ]]; }

machine_bindir() {
    local dir
    if [[ -n ${LEGATO_PG_BINDIR:-} ]] && has_server "$LEGATO_PG_BINDIR"; then
        echo "$LEGATO_PG_BINDIR"; return
    fi
    if dir=$(pg_config --bindir 2>/dev/null) && has_server "$dir"; then
        echo "$dir"; return
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
        if has_server "$dir"; then echo "$dir"; return; fi
    done
    if dir=$(command -v initdb) && has_server "$(dirname "$(readlink -f "$dir")")"; then
        dirname "$(readlink -f "$dir")"; return
    fi
    return 1
}

pgserver_bindir() {
    "$PYTHON" - <<'PY' 2>/dev/null
import pathlib, pgserver
print(pathlib.Path(pgserver.__file__).parent / "pginstall" / "bin")
PY
}

if machine_bindir >/dev/null; then
    exit 0
fi
if dir=$(pgserver_bindir) && has_server "$dir"; then
    exit 0
fi

if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "postgres: no server binaries; installing Debian's postgresql package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
else
    echo "postgres: no server binaries and cannot apt-get; installing the pgserver wheel" >&2
    "$PYTHON" -m pip install --quiet --disable-pip-version-check 'pgserver>=0.1.4'
fi

if dir=$(machine_bindir) || { dir=$(pgserver_bindir) && has_server "$dir"; }; then
    echo "postgres: server binaries in $dir" >&2
else
    echo "postgres: still no Postgres server binaries after installing; see docs/development.md" >&2
    exit 1
fi

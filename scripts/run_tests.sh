#!/usr/bin/env bash
# The test command behind `make test`: the whole suite on SQLite, then again on PostgreSQL.
# PostgreSQL is started with scripts/start_postgres.sh (needs root or sudo).  Outside CI a
# machine that cannot start it runs the SQLite pass only, and says so; in CI that is fatal.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
status=0
echo "== test pass 1/2: SQLite"
$PY -m pytest -q "$@" || status=$?
if [ "${SEAWALL_SKIP_POSTGRES:-0}" = 1 ]; then
  echo "== PostgreSQL pass skipped (SEAWALL_SKIP_POSTGRES=1)"
  exit $status
fi
if url=$(scripts/start_postgres.sh | tail -n 1) && [[ "$url" == postgresql://* ]]; then
  echo "== test pass 2/2: PostgreSQL ($url)"
  SEAWALL_TEST_BACKEND=postgresql SEAWALL_TEST_PG_URL="$url" $PY -m pytest -q "$@" || status=$?
elif [ "${CI:-}" = true ]; then
  echo "== could not start PostgreSQL in CI" >&2
  exit 1
else
  echo "== PostgreSQL pass skipped: could not start a local server (see scripts/start_postgres.sh)"
fi
exit $status

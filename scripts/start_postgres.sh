#!/usr/bin/env bash
# Start a local PostgreSQL for the test suite (Debian's postgresql package) and print the
# URL the tests use (SEAWALL_TEST_PG_URL).  Idempotent; needs root or sudo.
# Only the URL goes to stdout (callers capture it): every tool's chatter, such as
# pg_ctlcluster's "Removed stale pid file.", goes to stderr.  (Not via an extra file
# descriptor: the server would inherit it and the caller's $(...) would never end.)
set -euo pipefail
SUDO=""; AS_PG="sudo -u postgres"
if [ "$(id -u)" = 0 ]; then AS_PG="runuser -u postgres --"; else SUDO=sudo; fi
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
version=$(pg_lsclusters -h | awk 'NR==1{print $1}')
cluster=$(pg_lsclusters -h | awk 'NR==1{print $2}')
if [ -z "$version" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  cluster=main
  $SUDO pg_createcluster "$version" "$cluster" >&2
fi
if ! pg_lsclusters -h | awk -v c="$cluster" '$2==c{print $4}' | grep -q online; then
  $SUDO pg_ctlcluster "$version" "$cluster" start >&2
fi
for _ in $(seq 1 30); do
  $AS_PG psql -qtAc "select 1" >/dev/null 2>&1 && break
  sleep 1
done
$AS_PG psql -qtAc "select 1 from pg_roles where rolname='seawall_test'" | grep -q 1 ||
  $AS_PG psql -qc "create role seawall_test login superuser password 'seawall_test'" >&2
echo "postgresql://seawall_test:seawall_test@127.0.0.1:5432/postgres"

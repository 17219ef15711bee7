#!/usr/bin/env bash
# The multi-process tests (npm run test:cluster): replicas behind HAProxy,
# PostgreSQL standbys and a pg_auto_failover formation. The one entry point CI
# calls, from the repository root, after `npm ci`.
#
#   bash test/cluster/run-tests.sh [extra vitest arguments]
#
# Installs Debian's haproxy, pg-auto-failover-cli, postgresql-15-auto-failover
# and postgresql-15 (initdb, pg_ctl, pg_basebackup) when missing, then runs
# the tests. The clusters they start run as the postgres user, on free
# loopback ports, in temporary directories; the PostgreSQL at 127.0.0.1:5432
# (if any) is only used, as by npm test, for a database of the run's own.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
bindir="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"
packages=(haproxy pg-auto-failover-cli postgresql-15-auto-failover postgresql-15)

have_everything() {
  command -v haproxy >/dev/null 2>&1 &&
    command -v pg_autoctl >/dev/null 2>&1 &&
    [ -x "$bindir/pg_basebackup" ] &&
    [ -f "$("$bindir/pg_config" --pkglibdir 2>/dev/null)/pgautofailover.so" ]
}

if ! have_everything; then
  bash "$repo/.ci/install-debian-packages.sh" "${packages[@]}"
  have_everything || { echo "run-tests.sh: the packages installed, but haproxy, pg_autoctl or PostgreSQL 15's programs are still missing" >&2; exit 1; }
fi

echo "== cluster tests (npm run test:cluster)"
exec timeout --kill-after=10 900 npm run --silent test:cluster -- "$@"

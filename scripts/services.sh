#!/usr/bin/env bash
# Starts the local services chainwatch's tests use, if they are down. Idempotent.
#   PostgreSQL  127.0.0.1:5432, user postgres, trust auth, database `test`
# Exits non-zero when a service cannot be started and CI=true.
set -uo pipefail

ok=true
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if command -v pg_isready >/dev/null 2>&1; then
  if ! pg_up; then
    echo "services: starting PostgreSQL"
    if command -v pg_ctlcluster >/dev/null 2>&1; then
      for version in $(ls /etc/postgresql 2>/dev/null); do
        pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
      done
    fi
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  if pg_up; then
    psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" postgres 2>/dev/null \
      | grep -q 1 || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" postgres >/dev/null 2>&1 || true
    echo "services: PostgreSQL is up"
  else
    echo "services: PostgreSQL is not reachable on 127.0.0.1:5432"
    ok=false
  fi
else
  echo "services: no PostgreSQL client tools (pg_isready) on this machine"
  ok=false
fi

if [ "$ok" != true ] && [ "${CI:-}" = true ]; then
  exit 1
fi
exit 0

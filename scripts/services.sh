#!/usr/bin/env bash
# Starts the local services chainwatch's tests use, if they are down. Idempotent.
#   PostgreSQL  127.0.0.1:5432, user postgres, trust auth, database `test`
#   PgBouncer   127.0.0.1:6432 in front of it, transaction pooling (Debian's pgbouncer;
#               its files in target/pgbouncer)
#   Validators  target/peers: a Python environment with the independent validators the
#               tests check chainwatch's outputs with (openapi-spec-validator,
#               spdx-tools, cyclonedx-python-lib)
# Exits non-zero when a service cannot be started and CI=true.
set -uo pipefail
cd "$(dirname "$0")/.."

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

# PgBouncer in transaction mode in front of PostgreSQL, for the tests of a store behind a
# transaction-pooling connection pooler (`pooler=transaction` in the store URL).
bouncer_up() { pg_isready -q -h 127.0.0.1 -p 6432 2>/dev/null; }
if ! command -v pgbouncer >/dev/null 2>&1 && [ -x /usr/sbin/pgbouncer ]; then
  PATH="$PATH:/usr/sbin"
fi
if ! command -v pgbouncer >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "services: installing pgbouncer"
    apt-get install -y -q pgbouncer >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q pgbouncer >/dev/null 2>&1; } || true
    [ -x /usr/sbin/pgbouncer ] && PATH="$PATH:/usr/sbin"
  fi
fi
if command -v pgbouncer >/dev/null 2>&1 && ! bouncer_up; then
  echo "services: starting PgBouncer"
  dir="$PWD/target/pgbouncer"
  mkdir -p "$dir"
  cat > "$dir/pgbouncer.ini" <<INI
[databases]
test = host=127.0.0.1 port=5432 dbname=test user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = 6432
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
  echo '"postgres" ""' > "$dir/userlist.txt"
  # PgBouncer does not run as root: as the postgres user when started by root.
  if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
    chown -R postgres "$dir"
    pgbouncer -d -u postgres "$dir/pgbouncer.ini" >/dev/null 2>&1 || true
  else
    pgbouncer -d "$dir/pgbouncer.ini" >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 10); do bouncer_up && break; sleep 1; done
fi
if bouncer_up; then
  echo "services: PgBouncer is up (transaction pooling)"
else
  echo "services: PgBouncer is not reachable on 127.0.0.1:6432 (apt-get install pgbouncer)"
  ok=false
fi

# Independent validators, in a Python environment of their own under target/ (PyPI).
peers=target/peers
validators="openapi-spec-validator==0.9.0 spdx-tools==0.8.5 cyclonedx-python-lib[validation]==11.12.0 spdx-python-model==0.0.6"
if [ ! -x "$peers/bin/openapi-spec-validator" ] || [ ! -x "$peers/bin/pyspdxtools" ] ||
  ! "$peers/bin/python" -c "import cyclonedx.validation.json, spdx_python_model" >/dev/null 2>&1; then
  echo "services: installing $validators into $peers"
  if ! python3 -m venv "$peers" >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get install -y -q python3-venv >/dev/null 2>&1 || true
    fi
    rm -rf "$peers"
    python3 -m venv "$peers" >/dev/null 2>&1 || true
  fi
  if [ -x "$peers/bin/pip" ]; then
    "$peers/bin/pip" install -q --disable-pip-version-check $validators || true
  fi
fi
if [ -x "$peers/bin/openapi-spec-validator" ] && [ -x "$peers/bin/pyspdxtools" ]; then
  echo "services: validators in $peers"
else
  echo "services: no validators (python3 with venv and PyPI are needed)"
  ok=false
fi

# A real browser for the console's tests (Debian's packages; root installs them).
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "services: installing chromium and chromium-driver"
    apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; } || true
  fi
fi
if command -v chromedriver >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1; then
  echo "services: chromium and chromedriver are installed"
else
  echo "services: no chromium/chromedriver (apt-get install chromium chromium-driver)"
  ok=false
fi

# The autotools, for the release-integrity drill (scripts/xz-drill.sh makes release
# tarballs of xz-utils the way upstream does: autoreconf -fi).
if ! command -v autoreconf >/dev/null 2>&1 || ! command -v autopoint >/dev/null 2>&1 ||
  ! command -v libtoolize >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "services: installing autoconf, automake, libtool, autopoint and gettext"
    apt-get install -y -q autoconf automake libtool autopoint gettext >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 &&
        apt-get install -y -q autoconf automake libtool autopoint gettext >/dev/null 2>&1; } || true
  fi
fi
if command -v autoreconf >/dev/null 2>&1 && command -v autopoint >/dev/null 2>&1 &&
  command -v libtoolize >/dev/null 2>&1; then
  echo "services: the autotools are installed"
else
  echo "services: no autotools (apt-get install autoconf automake libtool autopoint gettext)"
  ok=false
fi

if [ "$ok" != true ] && [ "${CI:-}" = true ]; then
  exit 1
fi
exit 0
